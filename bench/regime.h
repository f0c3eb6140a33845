/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcbench: which regime a ping-pong cell's round trips were in.
 *
 * Real-time round trips across vCPUs can flip between a ~100 us and a
 * 1-5 ms regime, between trials or within one. regime_classify() pools
 * every sampled round trip of every trial, looks for two modes (the split
 * of the log round trips that leaves the least variance within each side,
 * and the two sides' medians at least REGIME_GAP apart), assigns each
 * sample to the fast or the slow mode, and then judges each trial by its
 * share of slow samples: at most REGIME_TAIL, a fast trial; at least
 * 1 - REGIME_TAIL, a slow one; in between, a mixed one.
 *
 *   stable  every trial in the same mode (a slow tail of at most
 *           REGIME_TAIL of the samples is a tail, not a regime) and the
 *           trials' p50s within REGIME_SPREAD of each other
 *   flip    trials in different modes, or p50s further apart
 *   mixed   a trial with both modes in it, or a mean round trip more than
 *           REGIME_MEAN times the median (a slow mode too broad or too
 *           small for the split to find: 20-30% of the round trips spread
 *           over 1-5 ms, say)
 *
 * A cell that samples no round trips (streaming, fan-in, pairs) is judged
 * by its trials' rates alone: regime_classify_rates().
 */
#ifndef IPCBENCH_REGIME_H
#define IPCBENCH_REGIME_H

#include <stdint.h>

#define REGIME_GAP	3.0	/* the modes' medians at least this far apart */
#define REGIME_SEPARATION 0.75	/* share of the log variance between the modes */
#define REGIME_TAIL	0.10
#define REGIME_SPREAD	1.5
#define REGIME_MEAN	2.0	/* the pooled mean at most this times the median */
#define REGIME_MAX_TRIALS 15

enum { REGIME_NA, REGIME_STABLE, REGIME_FLIP, REGIME_MIXED };

struct regime {
	int regime;
	double split_ns;	/* slow: above this; 0 when one mode */
	double slow_share;	/* of all samples */
	double share_min, share_max;	/* of the trials' slow shares */
	double p50_spread;	/* largest trial p50 / smallest */
	double mean_ratio;	/* pooled mean / pooled median */
};

/*
 * Classify @ntrials trials, trial i's round trips in @s[i][0..n[i]) (ns,
 * any order; sorted in place). Returns 0, or -1 with no sample at all
 * (then r->regime is REGIME_NA).
 */
int regime_classify(uint32_t *const s[], const uint32_t n[], int ntrials,
		    struct regime *r);
/*
 * Classify a cell without round trips (streaming, fan-in, pairs) by its
 * trials' rates @rate[0..ntrials): stable when the fastest is within
 * REGIME_SPREAD of the slowest, else flip (r->p50_spread holds the ratio);
 * NA with fewer than two trials.
 */
void regime_classify_rates(const double rate[], int ntrials, struct regime *r);
const char *regime_name(int regime);

#endif /* IPCBENCH_REGIME_H */
