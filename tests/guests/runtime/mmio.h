/* SPDX-License-Identifier: MIT */
/*
 * MMIO accessors: one load or store of the named size, addressed [Xn] with
 * no writeback, so a hypervisor trapping it gets a valid instruction
 * syndrome (ESR_EL2.ISV = 1) and can emulate it from that alone. The asm
 * statements are volatile with a memory clobber, so they stay in program
 * order with the surrounding C accesses.
 */
#ifndef GUEST_MMIO_H
#define GUEST_MMIO_H

#include <stdint.h>

static inline uint8_t readb(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return (uint8_t)v;
}

static inline uint16_t readw(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return (uint16_t)v;
}

static inline uint32_t readl(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline uint64_t readq(uintptr_t addr)
{
	uint64_t v;
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void writeb(uint8_t v, uintptr_t addr)
{
	__asm__ volatile("strb %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline void writew(uint16_t v, uintptr_t addr)
{
	__asm__ volatile("strh %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline void writel(uint32_t v, uintptr_t addr)
{
	__asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline void writeq(uint64_t v, uintptr_t addr)
{
	__asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

#endif
