/* SPDX-License-Identifier: MIT */
/* Knobs the host tests use to observe and steer the fake architecture. */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <setjmp.h>

#include <rhenium/types.h>

struct fake_smccc_call {
	int conduit;
	uint32_t fid;
	uint64_t a1, a2, a3;
};

/* Result of the next arch_smccc_call() and a record of the last one. */
extern uint64_t fake_smccc_result;
extern struct fake_smccc_call fake_smccc_last;
extern unsigned int fake_smccc_calls;

/* When set, arch_cpu_halt() longjmps here instead of aborting the test binary. */
extern jmp_buf *fake_halt_jmp;
extern unsigned int fake_register_dumps;
extern uint64_t fake_counter;
extern uint64_t fake_cpu_mpidr;
extern unsigned int fake_kicks;
extern unsigned int fake_irq_enabled[1024];
extern unsigned int fake_irq_deactivated[1024];

/*
 * The RAM disk behind include/rhenium/disk.h (fake_disk.c). There is no disk
 * until fake_disk_set() makes one: `sectors` zeroed sectors (0: no disk), with
 * or without a volatile cache (disk_has_flush()). It also clears the stats and
 * every knob below.
 */
void fake_disk_set(uint64_t sectors, bool has_flush);
/* The disk's bytes (sectors * 512), NULL if there is none. */
uint8_t *fake_disk_data(void);
/*
 * Device limits the real driver would read from the device: data
 * descriptors per device request (0: DISK_MAX_SEGS) and bytes per descriptor
 * (0: no limit). Requests that need more are cut as drivers/disk.c cuts them.
 */
void fake_disk_limits(unsigned int max_pieces, uint32_t size_max);
/* When non-zero, requests that pass the checks complete with this status, unperformed. */
extern uint8_t fake_disk_fail_status;
/* VIRTIO_BLK_F_RO: writes fail with IOERR. */
extern bool fake_disk_read_only;

/*
 * disk_start() only checks and queues; the "device" performs the queued
 * requests, in order, and calls their done() when disk_poll() runs (as the
 * interrupt handler would).
 */
struct fake_disk_stats {
	unsigned int submits;	       /* disk_submit() calls */
	unsigned int started;	       /* disk_start() calls (disk_submit's included) */
	unsigned int in_flight;	       /* started, not yet completed by disk_poll() */
	unsigned int last_batch;       /* n of the last call */
	unsigned int reads, writes;    /* performed */
	unsigned int flushes;	       /* FLUSH requests accepted (also without a cache) */
	unsigned int device_flushes;   /* ... that had a cache to flush */
	unsigned int rejected;	       /* failed the checks: never reached the "device" */
	unsigned int failed;	       /* completed with fake_disk_fail_status */
	unsigned int device_requests;  /* device requests READ/WRITEs were cut into */
	unsigned int unflushed_writes; /* writes since the last device flush */
	uint64_t sectors_read, sectors_written;
};
extern struct fake_disk_stats fake_disk_stats;

#endif
