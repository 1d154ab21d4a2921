/*
 * endpoint_proc.c - a libeshm-client endpoint in a child process, driven
 * through pipes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "endpoint_proc.h"

#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "proc_util.h"

/* What the child gets: the segment, and its ends of the pipes. */
struct te_args {
	const char *name;
	ESHMRole role;
	uint32_t stale_ms;
	int cmd, res;
};

static int
te_main(void *arg)
{
	const struct te_args *a = arg;
	ESHMConfig c = eshm_default_config(a->name);
	unsigned char buf[4096];
	ESHMHandle *h;
	uint32_t len;
	size_t got;
	char op;
	int rc;

	/* Other clients' pipe ends came along with fork(): without closing
	 * them, their EOF would never arrive. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != a->cmd && fd != a->res)
			close(fd);
	c.role = a->role;
	c.stale_threshold_ms = a->stale_ms;
	c.disconnect_behavior = ESHM_DISCONNECT_NEVER;
	/* The tests watch detached slots: eshmd must not unlink the segment. */
	c.auto_cleanup = false;
	h = eshm_init(&c);
	rc = h != NULL ? 0 : eshm_last_error();
	if (write(a->res, &rc, sizeof(rc)) != sizeof(rc) || h == NULL)
		return 1;
	while (read(a->cmd, &op, 1) == 1) {
		switch (op) {
		case 'w':
			if (read(a->cmd, &len, sizeof(len)) != sizeof(len) || len > sizeof(buf) ||
			    read(a->cmd, buf, len) != (ssize_t)len)
				return 2;
			rc = eshm_write(h, buf, len);
			break;
		case 'r':
			rc = eshm_read(h, buf, sizeof(buf), &got);
			if (write(a->res, &rc, sizeof(rc)) != sizeof(rc))
				return 2;
			len = rc == 0 ? (uint32_t)got : 0;
			if (write(a->res, &len, sizeof(len)) != sizeof(len) ||
			    write(a->res, buf, len) != (ssize_t)len)
				return 2;
			continue;
		case 'd':
			rc = eshm_destroy(h);
			h = NULL;
			break;
		default:
			return 2;
		}
		if (write(a->res, &rc, sizeof(rc)) != sizeof(rc))
			return 2;
		if (h == NULL)
			return 0;
	}
	/* The result of a last detach does not matter here, a crash would. */
	if (h != NULL)
		eshm_destroy(h);
	return 0;
}

static void
te_answer(struct te_proc *e, void *buf, size_t len)
{
	tp_read_full(e->pid, e->res, buf, len, TE_TIMEOUT_MS);
}

void
te_start(struct te_proc *e, const char *name, ESHMRole role, uint32_t stale_ms)
{
	int cmd[2], res[2], rc;
	struct te_args a;

	assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
	assert_int_equal(pipe2(res, O_CLOEXEC), 0);
	a = (struct te_args){ .name = name, .role = role, .stale_ms = stale_ms, .cmd = cmd[0],
		              .res = res[1] };
	e->pid = th_spawn(te_main, &a);
	assert_true(e->pid > 0);
	close(cmd[0]);
	close(res[1]);
	e->cmd = cmd[1];
	e->res = res[0];
	te_answer(e, &rc, sizeof(rc));
	assert_int_equal(rc, 0);
}

int
te_write(struct te_proc *e, const void *data, uint32_t len)
{
	int rc;

	assert_int_equal(write(e->cmd, "w", 1), 1);
	assert_int_equal(write(e->cmd, &len, sizeof(len)), sizeof(len));
	assert_int_equal(write(e->cmd, data, len), (ssize_t)len);
	te_answer(e, &rc, sizeof(rc));
	return rc;
}

int
te_read(struct te_proc *e, char *buf, uint32_t *len)
{
	int rc;

	assert_int_equal(write(e->cmd, "r", 1), 1);
	te_answer(e, &rc, sizeof(rc));
	te_answer(e, len, sizeof(*len));
	te_answer(e, buf, *len);
	return rc;
}

int
te_detach(struct te_proc *e)
{
	int rc;

	assert_int_equal(write(e->cmd, "d", 1), 1);
	te_answer(e, &rc, sizeof(rc));
	return rc;
}

int
te_end(struct te_proc *e)
{
	close(e->cmd);
	close(e->res);
	return th_wait_child_within(e->pid, TE_TIMEOUT_MS);
}
