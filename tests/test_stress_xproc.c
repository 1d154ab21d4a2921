/*
 * test_stress_xproc.c - two processes write and read both channels at full
 * speed with checksummed random-length payloads: no read is ever torn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_util.h"
#include "harness.h"

#define CAPACITY 4096
#define SECONDS 2

struct side_result {
	uint64_t writes, reads, torn;
};

/* Alternate a write and a read for SECONDS; count torn reads. */
static void
stress_side(ESHMHandle *h, uint64_t seed, struct side_result *r)
{
	static unsigned char out[CAPACITY], in[CAPACITY];
	long long until = th_now_ns() + SECONDS * 1000000000LL;
	uint64_t x = seed;
	size_t n;

	memset(r, 0, sizeof(*r));
	while (th_now_ns() < until) {
		size_t len;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		len = 8 + (size_t)(x >> 33) % (CAPACITY - 8 + 1);
		tc_fill(out, len, x);
		if (eshm_write(h, out, len) == ESHM_SUCCESS)
			r->writes++;
		if (eshm_read(h, in, sizeof(in), &n) == ESHM_SUCCESS) {
			r->reads++;
			if (!tc_intact(in, n))
				r->torn++;
		}
	}
}

static int
stress_slave(void *arg)
{
	ESHMHandle *s = tc_attach(arg, ESHM_ROLE_SLAVE, 1000, ESHM_DISCONNECT_NEVER);
	struct side_result r;

	if (s == NULL)
		return 1;
	stress_side(s, 2, &r);
	fprintf(stderr, "slave: %llu writes, %llu reads, %llu torn\n", (unsigned long long)r.writes,
	        (unsigned long long)r.reads, (unsigned long long)r.torn);
	eshm_destroy(s);
	return r.torn == 0 && r.reads > 0 ? 0 : 2;
}

static void
full_speed_both_ways_zero_torn_reads(void **state)
{
	ESHMHandle *m = tc_attach("stress", ESHM_ROLE_MASTER, 1000, ESHM_DISCONNECT_NEVER);
	struct side_result r;
	ESHMStats st;
	pid_t pid;

	assert_non_null(m);
	pid = th_spawn(stress_slave, "stress");
	stress_side(m, 1, &r);
	eshm_get_stats(m, &st);
	print_message("master: %llu writes, %llu reads, %llu torn, %llu retries, %llu missed\n",
	              (unsigned long long)r.writes, (unsigned long long)r.reads,
	              (unsigned long long)r.torn, (unsigned long long)st.read_retries,
	              (unsigned long long)st.missed);
	assert_int_equal(r.torn, 0);
	assert_true(r.reads > 0);
	assert_int_equal(th_wait_child(pid), 0);
	eshm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_speed_both_ways_zero_torn_reads),
	};

	return cmocka_run_group_tests_name("stress_xproc", tests, th_group_setup, th_group_teardown);
}
