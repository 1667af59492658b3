/* Print the TSC frequency in Hz, calibrated against CLOCK_MONOTONIC_RAW over ~0.5 s.
 * Used by scripts/bench.sh to turn packets per second into cycles per packet. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
	double best = 0;
	/* Three 0.2 s windows; keep the median to shrug off one preemption. */
	double hz[3];
	for (int i = 0; i < 3; i++) {
		double t0 = now();
		uint64_t c0 = __rdtsc();
		while (now() - t0 < 0.2)
			;
		uint64_t c1 = __rdtsc();
		double t1 = now();
		hz[i] = (double)(c1 - c0) / (t1 - t0);
	}
	for (int i = 0; i < 3; i++) {
		int below = 0, above = 0;
		for (int j = 0; j < 3; j++) {
			below += hz[j] < hz[i];
			above += hz[j] > hz[i];
		}
		if (below <= 1 && above <= 1)
			best = hz[i];
	}
	printf("%.0f\n", best);
	return 0;
}
