/*
 * test_roles.c - role assignment and refusal against a real eshmd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"

static void
auto_role_takes_master_then_slave(void **state)
{
	ESHMHandle *a = tc_attach("roles_auto", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *b = tc_attach("roles_auto", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *c;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(eshm_get_role(a), ESHM_ROLE_MASTER);
	assert_int_equal(eshm_get_role(b), ESHM_ROLE_SLAVE);
	c = tc_attach("roles_auto", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	assert_null(c);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_ROLE_TAKEN);
	assert_int_equal(eshm_destroy(b), ESHM_SUCCESS);
	assert_int_equal(eshm_destroy(a), ESHM_SUCCESS);
}

static void
explicit_role_refused_while_held(void **state)
{
	ESHMHandle *m = tc_attach("roles_explicit", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *m2, *s;

	assert_non_null(m);
	m2 = tc_attach("roles_explicit", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	assert_null(m2);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_ROLE_TAKEN);
	s = tc_attach("roles_explicit", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	assert_non_null(s);
	assert_int_equal(eshm_get_role(s), ESHM_ROLE_SLAVE);
	eshm_destroy(s);
	eshm_destroy(m);
}

static void
slave_first_then_auto_gets_master(void **state)
{
	ESHMHandle *s = tc_attach("roles_slave_first", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *a = tc_attach("roles_slave_first", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);

	assert_non_null(s);
	assert_non_null(a);
	assert_int_equal(eshm_get_role(a), ESHM_ROLE_MASTER);
	eshm_destroy(a);
	eshm_destroy(s);
}

static void
destroy_frees_role_for_next_init(void **state)
{
	int i;

	for (i = 0; i < 20; i++) {
		ESHMHandle *m = tc_attach("roles_cycle", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);

		assert_non_null(m);
		assert_int_equal(eshm_destroy(m), ESHM_SUCCESS);
	}
}

static int
child_attach_and_die(void *arg)
{
	ESHMHandle *m = tc_attach(arg, ESHM_ROLE_MASTER, 5000, ESHM_DISCONNECT_NEVER);

	if (m == NULL)
		return 1;
	pause();
	return 0;
}

static void
dead_holder_role_is_free_again(void **state)
{
	ESHMHandle *s = tc_attach("roles_dead", ESHM_ROLE_SLAVE, 100, ESHM_DISCONNECT_NEVER);
	ESHMHandle *m = NULL;
	pid_t pid;
	int i;

	assert_non_null(s);
	pid = th_spawn(child_attach_and_die, "roles_dead");
	/* wait until the child holds the master role */
	for (i = 0; i < 5000; i++) {
		bool alive = false;

		eshm_check_remote_alive(s, &alive);
		if (alive)
			break;
		tc_sleep_ms(1);
	}
	kill(pid, SIGKILL);
	assert_int_equal(th_wait_child(pid), 128 + SIGKILL);
	for (i = 0; i < 2000 && m == NULL; i++) {
		m = tc_attach("roles_dead", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
		if (m == NULL) {
			assert_int_equal(eshm_last_error(), ESHM_ERROR_ROLE_TAKEN);
			tc_sleep_ms(1);
		}
	}
	assert_non_null(m);
	eshm_destroy(m);
	eshm_destroy(s);
}

static void
no_daemon_is_a_named_error(void **state)
{
	char *saved = strdup(getenv("ESHM_SOCKET"));
	ESHMHandle *h;

	setenv("ESHM_SOCKET", "/tmp/eshm-test-nonexistent/eshmd.sock", 1);
	h = tc_attach("roles_nodaemon", ESHM_ROLE_AUTO, 100, ESHM_DISCONNECT_NEVER);
	assert_null(h);
	assert_int_equal(eshm_last_error(), ESHM_ERROR_DAEMON_UNAVAILABLE);
	setenv("ESHM_SOCKET", saved, 1);
	free(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auto_role_takes_master_then_slave),
		cmocka_unit_test(explicit_role_refused_while_held),
		cmocka_unit_test(slave_first_then_auto_gets_master),
		cmocka_unit_test(destroy_frees_role_for_next_init),
		cmocka_unit_test(dead_holder_role_is_free_again),
		cmocka_unit_test(no_daemon_is_a_named_error),
	};

	return cmocka_run_group_tests_name("roles", tests, th_group_setup, th_group_teardown);
}
