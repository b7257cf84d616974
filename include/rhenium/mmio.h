/* SPDX-License-Identifier: MIT */
/*
 * Per-VM MMIO dispatch: the emulated devices of a VM, each owning an IPA
 * range that stage 2 leaves unmapped, so guest accesses trap as data aborts
 * and end up in mmio_dispatch(). See docs/mmio.md.
 *
 * Concurrency: regions are registered while the VM is built, before any of
 * its vCPUs runs; after that the table is only read, so vCPUs dispatch
 * concurrently without a lock. Counters are updated atomically. Serialising
 * accesses to one device's state is the device's business (its callbacks may
 * run on several physical CPUs at once).
 */
#ifndef RHENIUM_MMIO_H
#define RHENIUM_MMIO_H

#include <rhenium/abort.h>
#include <rhenium/types.h>

#define MMIO_MAX_REGIONS 16
#define MMIO_NAME_MAX 16

/* Outcome of an access (mmio_dispatch, mmio_emulate_dabt). */
enum mmio_status {
	MMIO_OK = 0,
	MMIO_UNMAPPED = -1,    /* no region covers the address: inject an abort */
	MMIO_REFUSED = -2,     /* a device's region, but the access was refused: inject an abort */
	MMIO_NO_SYNDROME = -3, /* mmio_emulate_dabt only: not emulable from the syndrome */
};

/* Errors of mmio_register. */
enum mmio_error {
	MMIO_ERR_FULL = -1,    /* MMIO_MAX_REGIONS already registered */
	MMIO_ERR_OVERLAP = -2, /* intersects a registered region */
	MMIO_ERR_INVALID = -3, /* zero size, wraps past 2^64, or no ops */
};

/*
 * A device access: `offset` from the region base, `size` 1, 2, 4 or 8.
 * A read stores the result in *value (the bus has zeroed it and truncates it
 * to `size` bytes afterwards); a write takes its data from *value, already
 * truncated to `size` bytes. Return 0 if handled, anything else to refuse
 * (wrong size, misaligned, not allowed): the guest then gets an abort.
 */
typedef int (*mmio_access_fn)(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			      uint64_t *value);

struct mmio_ops {
	mmio_access_fn read;  /* NULL: reads are refused */
	mmio_access_fn write; /* NULL: writes are refused */
};

struct mmio_region {
	paddr_t base;
	uint64_t size;
	char name[MMIO_NAME_MAX];
	const struct mmio_ops *ops;
	void *ctx;
	/* Monitoring: handled reads and writes, and refused accesses of either kind. */
	uint64_t reads;
	uint64_t writes;
	uint64_t refused;
};

struct mmio_bus {
	struct mmio_region regions[MMIO_MAX_REGIONS]; /* [0, count) in use, in registration order */
	unsigned int count;
	uint64_t unmapped; /* accesses that found no region */
};

void mmio_bus_init(struct mmio_bus *bus);
/* Adds [base, base + size); the name is copied (truncated to MMIO_NAME_MAX - 1). */
int mmio_register(struct mmio_bus *bus, paddr_t base, uint64_t size, const char *name,
		  const struct mmio_ops *ops, void *ctx);
/* The region containing ipa, or NULL. */
const struct mmio_region *mmio_find(const struct mmio_bus *bus, paddr_t ipa);
/*
 * Performs one access. An access that starts inside a region but runs past
 * its end, or whose size is not 1, 2, 4 or 8, is refused without calling the
 * device.
 */
int mmio_dispatch(struct mmio_bus *bus, unsigned int vcpu, paddr_t ipa, unsigned int size,
		  bool is_write, uint64_t *value);
/*
 * Emulates the load or store a data abort describes, at `ipa` (HPFAR_EL2 and
 * FAR_EL2[11:0]), on the guest registers x[0..30]: a store's data comes from
 * the SRT register, a load's result is extended and written back to it.
 * MMIO_OK: done, the caller skips the instruction. Cache maintenance by VA on
 * an emulated address is a no-op and also returns MMIO_OK. MMIO_UNMAPPED,
 * MMIO_REFUSED, MMIO_NO_SYNDROME (ISV 0, or a stage-1 walk into MMIO space):
 * the caller injects an abort; registers are left untouched.
 */
int mmio_emulate_dabt(struct mmio_bus *bus, unsigned int vcpu, const struct abort_dabt *d,
		      paddr_t ipa, uint64_t x[31]);

#endif
