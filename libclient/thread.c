/*
 * thread.c - starting the library's background threads.
 */
#include <pthread.h>
#include <signal.h>

#include "handle.h"

int
lib_thread_start(void *(*main_fn)(void *))
{
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int rc;

	/* The thread takes no signal meant for the application. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, main_fn, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? ESHM_SUCCESS : ESHM_ERROR_SYSTEM;
}
