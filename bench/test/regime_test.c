// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of ipcbench's regime classifier (bench/regime.c) on
 * synthetic round trips: tight and tailed single modes are stable, a cell
 * whose trials sit in different modes flipped, a trial that holds both
 * modes is mixed, wherever the median trial is; cells without round trips
 * by their trials' rates. Run by scripts/bench.sh
 * before it boots a VM, and by "make bench-test".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../regime.h"

#define N 4000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal around @median_ns with log spread @sigma. */
static uint32_t around(double median_ns, double sigma)
{
	double z = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());

	return (uint32_t)(median_ns * exp(sigma * z));
}

/*
 * Trial t: a share slow[t] of its samples around @slow_ns (uniformly
 * spread over 1-5x it when @wide), the rest around fast[t] ns.
 */
static uint32_t buf[REGIME_MAX_TRIALS][N];

static int run(const char *what, int ntrials, const double fast[], const double slow[],
	       double slow_ns, int want)
{
	uint32_t *s[REGIME_MAX_TRIALS], n[REGIME_MAX_TRIALS];
	struct regime r;

	for (int t = 0; t < ntrials; t++) {
		s[t] = buf[t];
		n[t] = N;
		for (int i = 0; i < N; i++)
			buf[t][i] = uniform() < slow[t] ? (uint32_t)(slow_ns * (1 + 4 * uniform())) :
				    around(fast[t], 0.05);
	}
	regime_classify(s, n, ntrials, &r);
	printf("%-58s %-6s (split %.0f us, slow %.3f, trials %.3f-%.3f, spread %.2f)%s\n",
	       what, regime_name(r.regime), r.split_ns / 1e3, r.slow_share, r.share_min,
	       r.share_max, r.p50_spread, r.regime == want ? "" : "  WRONG");
	return r.regime != want;
}

int main(void)
{
	static const double fast100[] = { 100e3, 100e3, 100e3, 100e3, 100e3 };
	uint32_t *none[1] = { NULL }, zero[1] = { 0 };
	struct regime r;
	int bad = 0;

	/* ICOUNT=1: one tight mode (p99 within 1.3x of p50). */
	{
		static const double f[] = { 439e3, 439e3, 440e3 }, s[] = { 0, 0, 0 };

		bad += run("one tight mode", 3, f, s, 0, REGIME_STABLE);
	}
	/* A tail of 2% in the millisecond regime: p50 is the fast mode's. */
	{
		static const double s[] = { 0.02, 0.01, 0.03 };

		bad += run("fast mode with a 1-3% millisecond tail", 3, fast100, s, 1e6,
			   REGIME_STABLE);
	}
	/* Every trial in the slow mode. */
	{
		static const double s[] = { 1, 1, 1 };

		bad += run("all trials in the millisecond regime", 3, fast100, s, 1e6,
			   REGIME_STABLE);
	}
	/* The middle trial flipped: caught by the modes and by the p50s. */
	{
		static const double s[] = { 0, 1, 0 };

		bad += run("trials in different modes", 3, fast100, s, 2e6, REGIME_FLIP);
	}
	/*
	 * Flipped, yet the old rule (trials' p50s within 1.5x, the median
	 * trial's share above 3x its p10 under 10%) called it stable: two
	 * trials clean, one 40% in the slow mode (its p50 still fast).
	 */
	{
		static const double s[] = { 0, 0.40, 0 };

		bad += run("one trial 40% slow, p50s equal (old rule: stable)", 3, fast100, s,
			   2e6, REGIME_MIXED);
	}
	/* The same with 15% in one trial, not the median one by throughput. */
	{
		static const double s[] = { 0, 0, 0.15 };

		bad += run("one trial 15% slow, not the median (old rule: stable)", 3, fast100,
			   s, 2e6, REGIME_MIXED);
	}
	/* Every trial holds both modes. */
	{
		static const double s[] = { 0.3, 0.5, 0.4, 0.35, 0.6 };

		bad += run("both modes in every trial", 5, fast100, s, 1e6, REGIME_MIXED);
	}
	/* One mode, but the trials' p50s 2x apart. */
	{
		static const double f[] = { 100e3, 200e3, 100e3 }, s[] = { 0, 0, 0 };

		bad += run("one mode, trials' p50s 2x apart", 3, f, s, 0, REGIME_FLIP);
	}
	/* A broad single mode is one mode. */
	{
		uint32_t *s[1] = { buf[0] }, n[1] = { N };

		for (int i = 0; i < N; i++)
			buf[0][i] = around(100e3, 0.3);
		regime_classify(s, n, 1, &r);
		printf("%-58s %-6s%s\n", "one broad mode (log sigma 0.3)", regime_name(r.regime),
		       r.regime == REGIME_STABLE ? "" : "  WRONG");
		bad += r.regime != REGIME_STABLE;
	}
	/*
	 * A slow mode too broad for the split (the fidelity attack's D and
	 * E): 20-30% of every trial's round trips spread around 1-1.5 ms,
	 * both modes log-spread 0.6-0.9; the mean is 2-5x the median.
	 */
	{
		static const struct { const char *what; double share, slow_ns, sigma; } c[] = {
			{ "every trial 30% at ~1.5 ms, modes log-spread 0.9", 0.3, 1.5e6, 0.9 },
			{ "every trial 20% at ~1 ms, modes log-spread 0.6", 0.2, 1e6, 0.6 },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			uint32_t *s[3], n[3];

			for (int t = 0; t < 3; t++) {
				s[t] = buf[t];
				n[t] = N;
				for (int j = 0; j < N; j++)
					buf[t][j] = around(uniform() < c[i].share ? c[i].slow_ns : 100e3,
							   c[i].sigma);
			}
			regime_classify(s, n, 3, &r);
			printf("%-58s %-6s (mean %.1fx the median)%s\n", c[i].what,
			       regime_name(r.regime), r.mean_ratio,
			       r.regime == REGIME_MIXED ? "" : "  WRONG");
			bad += r.regime != REGIME_MIXED;
		}
	}
	/* No samples: no regime. */
	bad += regime_classify(none, zero, 1, &r) != -1 || r.regime != REGIME_NA;
	/* Cells without round trips: their trials' rates. */
	{
		static const struct {
			const char *what;
			double rate[3];
			int n, want;
		} c[] = {
			{ "rates within 3%", { 232e3, 226e3, 229e3 }, 3, REGIME_STABLE },
			{ "one trial's rate 1.6x the others", { 200e3, 320e3, 205e3 }, 3, REGIME_FLIP },
			{ "one trial 3x slower (a stream that slept)", { 90e3, 270e3, 0 }, 2, REGIME_FLIP },
			{ "one trial", { 232e3 }, 1, REGIME_NA },
			{ "no rate", { 0, 0, 0 }, 3, REGIME_NA },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			regime_classify_rates(c[i].rate, c[i].n, &r);
			printf("%-58s %-6s (spread %.2f)%s\n", c[i].what, regime_name(r.regime),
			       r.p50_spread, r.regime == c[i].want ? "" : "  WRONG");
			bad += r.regime != c[i].want;
		}
	}
	if (bad) {
		printf("regime_test: %d case(s) WRONG\n", bad);
		return 1;
	}
	printf("regime_test: ok\n");
	return 0;
}
