/*
 * client_util.h - small helpers for integration tests that use
 * libeshm-client against the private eshmd of tests/harness.h.
 */
#ifndef ESHM_TESTS_CLIENT_UTIL_H
#define ESHM_TESTS_CLIENT_UTIL_H

#include <eshm.h>
#include <stdbool.h>
#include <stdint.h>

/* Attach @name as @role with @threshold_ms and @behavior; NULL on failure. */
ESHMHandle *tc_attach(const char *name, ESHMRole role, uint32_t threshold_ms,
                      ESHMDisconnectBehavior behavior);

/*
 * Attach @name as @role with the channel options a segment this attach
 * creates gets: @mode, queue @depth (0: eshmd's), @capacity, @timestamps;
 * threshold 1000 ms, disconnect behaviour @behavior.  NULL on failure.
 */
ESHMHandle *tc_attach_channel(const char *name, ESHMRole role, ESHMChannelMode mode,
                              uint32_t depth, size_t capacity, bool timestamps,
                              ESHMDisconnectBehavior behavior);

/*
 * Call @attach(@arg) until it returns a handle, fails for another reason
 * than ESHM_ERROR_ROLE_TAKEN, or @ms have passed.  For a role whose last
 * holder just called eshm_destroy(): on a loaded machine eshmd may confirm
 * that detach after the 100 ms eshm_destroy() waits, and it frees the role
 * only when it reads the request.
 */
ESHMHandle *tc_attach_when_free(ESHMHandle *(*attach)(const void *arg), const void *arg, int ms);

/* Fill @buf with @len bytes derived from @seed; its checksum rides along. */
void tc_fill(unsigned char *buf, size_t len, uint64_t seed);

/* True if @buf (@len bytes) is exactly what tc_fill wrote for some seed. */
bool tc_intact(const unsigned char *buf, size_t len);

/* The seed tc_fill stored in @buf (len >= 8). */
uint64_t tc_seed(const unsigned char *buf);

/*
 * Conditions for th_wait_until() on the handle @h: its remote is alive
 * (eshm_check_remote_alive), is not, or is dead (eshm_get_stats).
 */
bool tc_remote_alive(void *h);
bool tc_remote_not_alive(void *h);
bool tc_remote_dead(void *h);

/*
 * What a test saw of its remote's heartbeat counter: when it last saw the
 * counter move, the time before the look that still found the older
 * value, the earliest that beat can have been (0: no move seen yet).  A
 * stale verdict is never due before that time plus the threshold,
 * whatever a heartbeat delayed by load did before a SIGSTOP.  Look before
 * the stop too, so that the last move is seen.
 */
struct tc_beats {
	uint64_t seen;
	long long prev_ns;          /* when the previous look began */
	long long earliest_ns;
};
/* Start @b afresh on the remote of @h, looking every 100 us for @ms
 * milliseconds (before the stop), and on until the counter has moved once,
 * at most TC_BEATS_MOVE_MAX_MS more (earliest_ns stays 0 if it never did). */
#define TC_BEATS_MOVE_MAX_MS 5000
void tc_beats_watch(struct tc_beats *b, ESHMHandle *h, int ms);
/* Look at the remote's counter through @h (eshm_get_stats). */
void tc_beats_look(struct tc_beats *b, ESHMHandle *h);

/* eshmd's monitor runs, as @h sees it (th_wait_until() condition). */
bool tc_daemon_alive(void *h);

/*
 * th_spawn() body: attach segment @name as slave (threshold 1000 ms,
 * ON_TIMEOUT) and echo each 8-byte number the master writes, until
 * UINT64_MAX.  Exits 0 once eshm_destroy() confirmed the detach; 1 if it
 * could not attach, 2 after 5 s without a message, 3 if an echo failed,
 * 4 if the detach did.
 */
int tc_echo_slave(void *name);

/*
 * Write @v on @m (the master of a tc_echo_slave) and wait up to 2 s for
 * the echo.  Returns false if the write failed, nothing came back, or
 * something else did.
 */
bool tc_echo_once(ESHMHandle *m, uint64_t v);

/* Sleep @ms milliseconds. */
void tc_sleep_ms(int ms);

#endif
