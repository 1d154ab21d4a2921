/*
 * monitor.c - the thread that judges heartbeats.  Every check interval,
 * on absolute deadlines, it loads each held endpoint's counter from its
 * block and applies live_judge() (common/liveness.h), the rule the library
 * also applies while eshmd is away, with the threshold the endpoint's
 * peer registered.  It also stamps each segment's daemon line, which is
 * how clients know the verdicts are current, and says which channels no
 * observer waits on (obsquiet.h).
 *
 * What it loads from a block is an untrusted number: it only ever moves a
 * verdict between alive and stale.  Death is the kernel's word (pidfd).
 *
 * Cost: a pass loads one line per endpoint block and per observer block,
 * and writes the daemon line and only what changed of the rest.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "history.h"
#include "liveness.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
#include "obsquiet.h"
#include "rate.h"
#include "statusblock.h"

#define MON_SEC_NS UINT64_C(1000000000)
/* A heartbeat still for this long (or three periods) shows a rate of 0. */
#define MON_STILL_MIN_NS (50 * UINT64_C(1000000))
/* Extra passes come at least this far apart, whatever endpoints make
 * their verdicts due: a verdict is at most this late, and the monitor's
 * cost stays bounded. */
#define MON_EXTRA_GAP_NS UINT64_C(1000000)

/* A word of a block its holder writes: loaded once, used only as a number. */
#define MON_LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

/* A heartbeat standing still this long has a rate of 0. */
static uint64_t
mon_still_ns(const struct reg_endpoint *ep)
{
	uint64_t three = 3ull * live_period_ms(ep->period_us) * 1000000u;

	return three > MON_STILL_MIN_NS ? three : MON_STILL_MIN_NS;
}

/* Lower *@due to when the stale verdict of @ep falls due, if it does. */
static void
mon_fold_due(const struct reg_endpoint *ep, uint64_t *due)
{
	if (ep->live.due_ns != 0 && ep->live.due_ns < *due)
		*due = ep->live.due_ns;
}

/*
 * Judge role @index of @seg at @now by the one rule of liveness.h, with
 * the threshold its peer registered (its own without a peer).  Every
 * check counts the silence since the one before, at most @interval; a
 * counting pass (@counting) checks every endpoint and samples its rate,
 * an extra pass only the endpoints whose verdict has fallen due.  *@due
 * is lowered to when an extra pass would give a stale verdict before the
 * next counting pass.  Returns true if the state changed.
 */
static bool
mon_judge(struct eshmd *d, struct reg_segment *seg, int index, uint32_t interval, uint64_t now,
          bool counting, uint64_t *due)
{
	struct reg_endpoint *ep = &seg->ep[index];
	struct hist_subject subject;
	const struct seg_block *b = seg_block_of(&ep->block.map);
	uint32_t threshold, next;
	uint64_t hb, beat;

	if (!reg_ep_held(seg, index) || b == NULL)
		return false;
	if (!counting && (ep->live.due_ns == 0 || ep->live.due_ns > now)) {
		mon_fold_due(ep, due);
		return false;
	}
	hb = live_sample(b, &beat);
	if (counting)
		rate_sample(&ep->rate, hb, now, mon_still_ns(ep));
	threshold = reg_ep_held(seg, !index) ? seg->ep[!index].threshold_ms : ep->threshold_ms;
	ep->judged_ms = threshold;
	next = live_judge(&ep->live, hb, beat, now, interval,
	                  threshold + live_period_ms(ep->period_us));
	mon_fold_due(ep, due);
	stb_endpoint(seg, index);
	if (next == ep->state)
		return false;
	ep->state = next;
	ep->stale_since_ns = next == SEG_EP_STALE ? now : 0;
	subject = hist_endpoint(seg, index);
	/* What its peer sees: a bridge that beats again shows its remote's state. */
	hist_record(d, hist_of_state(reg_ep_shown(ep)), &subject,
	            "segment %s: %s (pid %d) is %s (silent %u ms, judged by %u ms)", seg->name,
	            seg_role_name(index), (int)ep->pid, seg_state_name(reg_ep_shown(ep)),
	            live_silent_ms(&ep->live), threshold);
	return true;
}

/*
 * Stamp when each channel of @seg was last written and read, at the
 * monitor's resolution, so the data path itself never reads a clock, and
 * sample how fast each reader misses messages.
 */
static void
mon_stamp_traffic(struct reg_segment *seg, uint64_t now, uint64_t now_real)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct seg_block *w = seg_block_of(&seg->ep[i].block.map);
		const struct seg_block *rd = seg_block_of(&seg->ep[!i].block.map);
		uint64_t v;

		if (w != NULL && (v = MON_LOAD(w->head)) != seg->seen_head[i]) {
			seg->seen_head[i] = v;
			seg->write_realtime_ns[i] = now_real;
		}
		if (rd != NULL && (v = MON_LOAD(rd->reader.position)) != seg->seen_position[i]) {
			seg->seen_position[i] = v;
			seg->read_realtime_ns[i] = now_real;
		}
		if (rd != NULL)
			rate_sample(&seg->missed_rate[i], MON_LOAD(rd->reader.missed), now, MON_SEC_NS);
	}
}

/* Count the time of the pass that began at @start and the thread's CPU time. */
static void
mon_account(struct eshmd *d, uint64_t start)
{
	uint64_t took = clock_mono_ns() - start;
	struct timespec cpu;

	d->monitor_busy_ns += took;
	d->monitor_last_ns = took;
	if (took > d->monitor_max_ns)
		d->monitor_max_ns = took;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		d->monitor_cpu_ns = (uint64_t)cpu.tv_sec * MON_SEC_NS + (uint64_t)cpu.tv_nsec;
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
	bool changed = false;

	*due = UINT64_MAX;
	pthread_mutex_lock(&d->reg.lock);
	interval = d->set.check_interval_ms;
	if (counting)
		d->monitor_pass++;
	for (seg = d->reg.head; seg != NULL; seg = seg->next) {
		bool seg_changed = mon_judge(d, seg, SEG_MASTER, interval, now, counting, due);

		seg_changed |= mon_judge(d, seg, SEG_SLAVE, interval, now, counting, due);
		if (seg_changed)
			stb_verdict(seg);
		changed |= seg_changed;
		if (!counting)
			continue;
		mon_stamp_traffic(seg, now, now_real);
		oq_sample(seg, now);
		stb_daemon(seg, d->monitor_pass, now, interval);
	}
	if (changed)
		ntf_status(d);
	if (counting)
		mon_account(d, now);
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
		/* A verdict due before the next pass gets a pass of its own. */
		while (due < next_ns &&
		       !atomic_load_explicit(&d->monitor_stop, memory_order_acquire)) {
			mon_sleep_until(due);
			mon_pass(d, false, &due);
			now = clock_mono_ns();
			if (due < now + MON_EXTRA_GAP_NS)
				due = now + MON_EXTRA_GAP_NS;
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
