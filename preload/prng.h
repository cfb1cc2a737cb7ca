/* SPDX-License-Identifier: MIT */
/*
 * Seeded random numbers: a counter-based generator (splitmix64), so a stream
 * is a seed plus an atomic counter, safe from any thread or signal handler.
 */
#ifndef FT_PRNG_H
#define FT_PRNG_H

#include <stdint.h>

/* The n-th value of the stream keyed by seed. */
uint64_t ft_prng_at(uint64_t seed, uint64_t n);

/* A uniform draw in [0, bound] from 64 random bits (bound inclusive). */
uint64_t ft_prng_below_incl(uint64_t bits, uint64_t bound);

#endif
