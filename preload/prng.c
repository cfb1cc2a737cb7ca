/* SPDX-License-Identifier: MIT */
/* splitmix64 (Steele, Lea, Flood 2014), used as a counter-based generator. */
#include "prng.h"

uint64_t ft_prng_at(uint64_t seed, uint64_t n)
{
	uint64_t z = seed + (n + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t ft_prng_below_incl(uint64_t bits, uint64_t bound)
{
	/* Lemire's multiply-shift: no division, bias below 2^-64 * bound. */
	if (bound == UINT64_MAX)
		return bits;
	return (uint64_t)(((unsigned __int128)bits * (bound + 1)) >> 64);
}
