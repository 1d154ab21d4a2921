/*
 * monitor.c - the thread that judges heartbeats.  Every check interval,
 * on absolute deadlines, it looks at each held endpoint's counter: moved
 * means alive, unchanged adds one interval to its silence, and silence up
 * to its own threshold means stale.  It counts passes rather than reading
 * the clock, so a pass delayed by load never turns into a false verdict.
 * It also stamps each segment's daemon block, which is how clients know
 * the verdicts are current.
 *
 * Cost: a pass touches two lines per endpoint and one per segment, and
 * writes only what changed apart from the daemon block.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"

#define MON_RATE_WINDOW_NS UINT64_C(1000000000)

/*
 * Judge endpoint @index of @seg at @now.  A counting pass (@counting)
 * adds @interval to the silence of an unchanged heartbeat; an extra pass
 * only re-evaluates.  Stale needs both the counted silence and, as a
 * floor, that long plus one heartbeat period since the pass that last saw
 * the counter move: the process may have stopped just after that beat,
 * and no verdict may come before the threshold.  When only the floor is
 * missing, *@due is lowered to when it will be met.
 * Returns true if the state changed.
 */
static bool
mon_judge(struct reg_segment *seg, int index, uint32_t interval, uint64_t now, bool counting,
          uint64_t *due)
{
	struct seg_endpoint *e = seg->map.endpoint[index];
	struct reg_endpoint *ep = &seg->ep[index];
	uint32_t state = atomic_load_explicit(&e->state, memory_order_relaxed);
	uint32_t threshold, next;
	uint64_t hb, floor_at;

	if (state != SEG_EP_ALIVE && state != SEG_EP_STALE)
		return false;
	hb = atomic_load_explicit(&e->heartbeat, memory_order_relaxed);
	if (now - ep->rate_mono_ns >= MON_RATE_WINDOW_NS) {
		ep->rate = (hb - ep->rate_heartbeat) * MON_RATE_WINDOW_NS / (now - ep->rate_mono_ns);
		ep->rate_mono_ns = now;
		ep->rate_heartbeat = hb;
	}
	threshold = atomic_load_explicit(&e->stale_threshold_ms, memory_order_relaxed);
	if (hb != ep->last_heartbeat) {
		ep->last_heartbeat = hb;
		ep->silent_ms = 0;
		ep->change_mono_ns = now;
		next = SEG_EP_ALIVE;
	} else {
		if (counting && ep->silent_ms <= UINT32_MAX - interval)
			ep->silent_ms += interval;
		next = state;
		if (ep->silent_ms >= threshold && state == SEG_EP_ALIVE) {
			floor_at = ep->change_mono_ns +
			           ((uint64_t)threshold + ep->period_ms) * 1000000u;
			if (now >= floor_at)
				next = SEG_EP_STALE;
			else if (floor_at < *due)
				*due = floor_at;
		}
	}
	/* Write only what changed: the line is read by the clients. */
	if (atomic_load_explicit(&e->silent_ms, memory_order_relaxed) != ep->silent_ms)
		atomic_store_explicit(&e->silent_ms, ep->silent_ms, memory_order_relaxed);
	if (next == state)
		return false;
	atomic_store_explicit(&e->state, next, memory_order_release);
	log_msg(next == SEG_EP_STALE ? LOG_NOTICE : LOG_INFO,
	        "segment %s: %s (pid %d) is %s (silent %u ms, threshold %u ms)", seg->name,
	        seg_role_name(index),
	        (int)atomic_load_explicit(&e->pid, memory_order_relaxed), seg_state_name(next),
	        ep->silent_ms, threshold);
	return true;
}

/*
 * Stamp when each channel of @seg was last written and read, at the
 * monitor's resolution, so the data path itself never reads a clock.
 */
static void
mon_stamp_traffic(struct reg_segment *seg, uint64_t now_real)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct seg_reader *rd = seg->map.reader[i];
		uint64_t seq = atomic_load_explicit(&seg->map.channel[i]->seq, memory_order_relaxed);
		uint64_t reads = atomic_load_explicit(&rd->read_count, memory_order_relaxed);

		if (seq != seg->seen_seq[i]) {
			seg->seen_seq[i] = seq;
			atomic_store_explicit(&rd->last_write_realtime_ns, now_real,
			                      memory_order_relaxed);
		}
		if (reads != seg->seen_reads[i]) {
			seg->seen_reads[i] = reads;
			atomic_store_explicit(&rd->last_read_realtime_ns, now_real,
			                      memory_order_relaxed);
		}
	}
}

/*
 * One pass over every segment.  Returns the check interval; *@due gets
 * the earliest time an extra pass is needed (UINT64_MAX: none).
 */
static uint32_t
mon_pass(struct eshmd *d, bool counting, uint64_t *due)
{
	struct reg_segment *seg;
	uint32_t interval;
	uint64_t now = clock_mono_ns(), now_real = clock_real_ns();
	int32_t pid = (int32_t)getpid();
	bool changed = false;

	*due = UINT64_MAX;
	pthread_mutex_lock(&d->reg.lock);
	interval = d->set.check_interval_ms;
	for (seg = d->reg.head; seg != NULL; seg = seg->next) {
		struct seg_daemon *sd = seg->map.daemon;

		changed |= mon_judge(seg, SEG_MASTER, interval, now, counting, due);
		changed |= mon_judge(seg, SEG_SLAVE, interval, now, counting, due);
		if (!counting)
			continue;
		mon_stamp_traffic(seg, now_real);
		if (atomic_load_explicit(&sd->check_interval_ms, memory_order_relaxed) != interval)
			atomic_store_explicit(&sd->check_interval_ms, interval,
			                      memory_order_relaxed);
		if (atomic_load_explicit(&sd->pid, memory_order_relaxed) != pid)
			atomic_store_explicit(&sd->pid, pid, memory_order_relaxed);
		atomic_store_explicit(&sd->pass_mono_ns, now, memory_order_relaxed);
		atomic_fetch_add_explicit(&sd->heartbeat, 1, memory_order_release);
	}
	if (changed)
		ntf_status(d);
	pthread_mutex_unlock(&d->reg.lock);
	return interval;
}

static uint64_t
mon_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static void
mon_sleep_until(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *
mon_main(void *arg)
{
	struct eshmd *d = arg;
	uint64_t wd_period = ntf_watchdog_period_ns(), wd_next = 0;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load_explicit(&d->monitor_stop, memory_order_acquire)) {
		uint64_t due, now, next_ns;
		uint32_t interval = mon_pass(d, true, &due);

		now = clock_mono_ns();
		/* The watchdog is fed from here, so a stuck monitor is restarted. */
		if (wd_period != 0 && now >= wd_next) {
			ntf_watchdog();
			wd_next = now + wd_period;
		}
		clock_ts_add_ns(&next, (uint64_t)interval * 1000000u);
		next_ns = mon_ts_ns(&next);
		/* Far behind (the machine was suspended or starved): start over
		 * from now instead of running a burst of catch-up passes. */
		if (next_ns + (uint64_t)interval * 1000000u < now) {
			next.tv_sec = (time_t)(now / 1000000000u);
			next.tv_nsec = (long)(now % 1000000000u);
			clock_ts_add_ns(&next, (uint64_t)interval * 1000000u);
			next_ns = mon_ts_ns(&next);
		}
		/* A verdict waiting only for its floor gets a pass of its own. */
		while (due < next_ns &&
		       !atomic_load_explicit(&d->monitor_stop, memory_order_acquire)) {
			mon_sleep_until(due);
			mon_pass(d, false, &due);
		}
		mon_sleep_until(next_ns);
	}
	return NULL;
}

int
mon_start(struct eshmd *d)
{
	int rc;

	atomic_store_explicit(&d->monitor_stop, false, memory_order_relaxed);
	rc = pthread_create(&d->monitor, NULL, mon_main, d);
	if (rc != 0) {
		log_msg(LOG_ERR, "cannot start the monitor thread: %s", strerror(rc));
		return -1;
	}
	d->monitor_running = true;
	return 0;
}

void
mon_stop(struct eshmd *d)
{
	if (!d->monitor_running)
		return;
	atomic_store_explicit(&d->monitor_stop, true, memory_order_release);
	pthread_join(d->monitor, NULL);
	d->monitor_running = false;
}
