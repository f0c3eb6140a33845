// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: the regime of a ping-pong cell's round trips (regime.h).
 * Plain C, no harness state: bench/test/regime_test.c runs it on the host
 * on synthetic samples.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "regime.h"

static const char *const names[] = { "-", "stable", "flip", "mixed" };

void regime_classify_rates(const double rate[], int ntrials, struct regime *r)
{
	double lo = 0, hi = 0;

	*r = (struct regime){ .regime = REGIME_NA, .p50_spread = 1, .mean_ratio = 1 };
	for (int t = 0; t < ntrials; t++) {
		if (!(rate[t] > 0))
			continue;
		lo = !lo || rate[t] < lo ? rate[t] : lo;
		hi = rate[t] > hi ? rate[t] : hi;
	}
	if (ntrials < 2 || !(lo > 0))
		return;
	r->p50_spread = hi / lo;
	r->regime = r->p50_spread > REGIME_SPREAD ? REGIME_FLIP : REGIME_STABLE;
}

const char *regime_name(int regime)
{
	return regime >= 0 && regime <= REGIME_MIXED ? names[regime] : "?";
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Two modes in the sorted log samples @v[0..n)? The split (lower side
 * [0, k)) that maximises the variance between the sides (Otsu's method);
 * two modes when the sides' medians are REGIME_GAP apart and that variance
 * is REGIME_SEPARATION of the whole. Returns k, or 0 for one mode.
 */
static size_t split_modes(const double *v, size_t n)
{
	double sum = 0, sq = 0, lo = 0, best = 0, var;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		sq += v[i] * v[i];
	}
	if (n < 2)
		return 0;
	var = sq / (double)n - (sum / (double)n) * (sum / (double)n);
	if (var <= 0)
		return 0;
	for (size_t i = 1; i < n; i++) {
		double w0 = (double)i / (double)n, w1 = 1 - w0, m0, m1, between;

		lo += v[i - 1];
		if (v[i] == v[i - 1])
			continue;	/* never split equal samples */
		m0 = lo / (double)i;
		m1 = (sum - lo) / (double)(n - i);
		between = w0 * w1 * (m1 - m0) * (m1 - m0);
		if (between > best) {
			best = between;
			k = i;
		}
	}
	if (!k || best < REGIME_SEPARATION * var)
		return 0;
	/* The sides' medians, in log: at least log(REGIME_GAP) apart. */
	if (v[k + (n - k) / 2] - v[k / 2] < log(REGIME_GAP))
		return 0;
	return k;
}

int regime_classify(uint32_t *const s[], const uint32_t n[], int ntrials,
		    struct regime *r)
{
	double lo_p50 = 0, hi_p50 = 0, split = 0, mean = 0;
	size_t total = 0, at = 0, k, slow = 0;
	bool any_fast = false, any_slow = false, any_mixed = false;
	uint32_t *all;
	double *v;

	*r = (struct regime){ .regime = REGIME_NA, .mean_ratio = 1 };
	for (int t = 0; t < ntrials; t++)
		total += n[t];
	if (!total)
		return -1;
	all = malloc(total * sizeof(*all));
	v = malloc(total * sizeof(*v));
	if (!all || !v) {
		free(all);
		free(v);
		return -1;
	}
	for (int t = 0; t < ntrials; t++) {
		double p50;

		if (!n[t])
			continue;
		qsort(s[t], n[t], sizeof(uint32_t), cmp_u32);
		p50 = s[t][n[t] / 2];
		lo_p50 = !lo_p50 || p50 < lo_p50 ? p50 : lo_p50;
		hi_p50 = p50 > hi_p50 ? p50 : hi_p50;
		for (uint32_t i = 0; i < n[t]; i++)
			all[at++] = s[t][i];
	}
	qsort(all, total, sizeof(uint32_t), cmp_u32);
	for (size_t i = 0; i < total; i++) {
		v[i] = log((double)all[i] + 1);
		mean += (double)all[i];
	}
	mean /= (double)total;
	r->mean_ratio = all[total / 2] ? mean / (double)all[total / 2] : 1;
	k = split_modes(v, total);
	if (k)
		split = all[k - 1];
	r->split_ns = split;
	r->share_min = 1;
	r->share_max = 0;
	for (int t = 0; t < ntrials; t++) {
		uint32_t ts = 0;
		double share;

		if (!n[t])
			continue;
		for (uint32_t i = 0; k && i < n[t]; i++)
			ts += s[t][i] > split;
		slow += ts;
		share = (double)ts / n[t];
		r->share_min = share < r->share_min ? share : r->share_min;
		r->share_max = share > r->share_max ? share : r->share_max;
		if (share <= REGIME_TAIL)
			any_fast = true;
		else if (share >= 1 - REGIME_TAIL)
			any_slow = true;
		else
			any_mixed = true;
	}
	r->slow_share = (double)slow / (double)total;
	r->p50_spread = lo_p50 > 0 ? hi_p50 / lo_p50 : 1;
	r->regime = any_mixed ? REGIME_MIXED :
		    (any_fast && any_slow) || r->p50_spread > REGIME_SPREAD ? REGIME_FLIP :
		    r->mean_ratio > REGIME_MEAN ? REGIME_MIXED : REGIME_STABLE;
	free(all);
	free(v);
	return 0;
}
