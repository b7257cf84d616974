/* SPDX-License-Identifier: MIT */
/*
 * An emulated Arm PrimeCell UART (PL011) r1p5, as Linux's amba-pl011
 * driver and its "pl011" earlycon drive it. Registers and bits follow the
 * PL011 Technical Reference Manual (DDI 0183G), chapter 3 "Programmers
 * Model". Transmission is instantaneous (each byte written to UARTDR goes
 * to the tx callback at once), input is pushed in with vpl011_receive(), and
 * the combined interrupt UARTINTR is reported through set_irq whenever its
 * level changes. See docs/vpl011.md for the model and its invariants.
 *
 * Concurrency: not thread-safe. The caller serialises every call on one
 * struct vpl011 (MMIO accesses from any vCPU, input, reset), e.g. with one
 * spinlock; callbacks run inside those calls and must not call back in.
 */
#ifndef RHENIUM_VPL011_H
#define RHENIUM_VPL011_H

#include <rhenium/mmio.h>
#include <rhenium/types.h>

#define VPL011_MMIO_SIZE 0x1000ULL
#define VPL011_FIFO_DEPTH 32 /* r1p5 (PeriphID2 revision 3) has 32-entry FIFOs */

/* Register offsets */
#define VPL011_DR 0x000
#define VPL011_RSR_ECR 0x004
#define VPL011_FR 0x018
#define VPL011_ILPR 0x020
#define VPL011_IBRD 0x024
#define VPL011_FBRD 0x028
#define VPL011_LCR_H 0x02c
#define VPL011_CR 0x030
#define VPL011_IFLS 0x034
#define VPL011_IMSC 0x038
#define VPL011_RIS 0x03c
#define VPL011_MIS 0x040
#define VPL011_ICR 0x044
#define VPL011_DMACR 0x048
#define VPL011_PERIPHID0 0xfe0 /* PeriphID0-3 at 0xfe0-0xfec, PCellID0-3 at 0xff0-0xffc */
#define VPL011_PCELLID0 0xff0

/* UARTDR read: error bits that travel with each received byte; UARTRSR has them at [3:0]. */
#define VPL011_DR_FE (1U << 8)
#define VPL011_DR_PE (1U << 9)
#define VPL011_DR_BE (1U << 10)
#define VPL011_DR_OE (1U << 11)
#define VPL011_RSR_OE (1U << 3)

/* UARTFR */
#define VPL011_FR_CTS (1U << 0)
#define VPL011_FR_DSR (1U << 1)
#define VPL011_FR_DCD (1U << 2)
#define VPL011_FR_BUSY (1U << 3)
#define VPL011_FR_RXFE (1U << 4)
#define VPL011_FR_TXFF (1U << 5)
#define VPL011_FR_RXFF (1U << 6)
#define VPL011_FR_TXFE (1U << 7)
#define VPL011_FR_RI (1U << 8)

/* UARTLCR_H */
#define VPL011_LCR_H_BRK (1U << 0)
#define VPL011_LCR_H_FEN (1U << 4)
#define VPL011_LCR_H_WLEN8 (3U << 5)

/* UARTCR */
#define VPL011_CR_UARTEN (1U << 0)
#define VPL011_CR_LBE (1U << 7)
#define VPL011_CR_TXE (1U << 8)
#define VPL011_CR_RXE (1U << 9)
#define VPL011_CR_DTR (1U << 10)
#define VPL011_CR_RTS (1U << 11)
#define VPL011_CR_OUT1 (1U << 12)
#define VPL011_CR_OUT2 (1U << 13)
#define VPL011_CR_RESET (VPL011_CR_TXE | VPL011_CR_RXE)

/* UARTIFLS: TXIFLSEL [2:0], RXIFLSEL [5:3]; 0..4 = 1/8, 1/4, 1/2, 3/4, 7/8 full */
#define VPL011_IFLS_RESET 0x12U

/* Interrupt bits of UARTIMSC, UARTRIS, UARTMIS, UARTICR */
#define VPL011_INT_RI (1U << 0)
#define VPL011_INT_CTS (1U << 1)
#define VPL011_INT_DCD (1U << 2)
#define VPL011_INT_DSR (1U << 3)
#define VPL011_INT_RX (1U << 4)
#define VPL011_INT_TX (1U << 5)
#define VPL011_INT_RT (1U << 6)
#define VPL011_INT_FE (1U << 7)
#define VPL011_INT_PE (1U << 8)
#define VPL011_INT_BE (1U << 9)
#define VPL011_INT_OE (1U << 10)
#define VPL011_INT_ALL 0x7ffU

struct vpl011_ops {
	void (*tx)(void *ctx, uint8_t c);	/* NULL: output is discarded */
	void (*set_irq)(void *ctx, bool level); /* NULL: the level is only kept in irq_level */
};

/* Monitoring; vpl011_reset() keeps these (they describe the hypervisor's view). */
struct vpl011_stats {
	uint64_t tx;		 /* bytes sent to the tx callback */
	uint64_t tx_disabled;	 /* of which written while UARTEN or TXE was clear */
	uint64_t rx;		 /* bytes accepted into the RX FIFO */
	uint64_t rx_overrun;	 /* bytes lost to a full FIFO (UARTRSR.OE) */
	uint64_t rx_dropped;	 /* bytes lost by lossy input while the receiver was off */
	uint64_t unknown_reads;	 /* reads of unimplemented offsets (read as zero) */
	uint64_t unknown_writes; /* writes to unimplemented or read-only offsets (ignored) */
	uint64_t bad_accesses;	 /* refused: size other than 1/2/4, misaligned, out of range */
};

struct vpl011 {
	const struct vpl011_ops *ops;
	void *ctx;
	/* Registers, as the guest last wrote them (reserved bits cleared). */
	uint8_t rsr;
	uint8_t ilpr;
	uint16_t ibrd;
	uint8_t fbrd;
	uint8_t lcr_h;
	uint16_t cr;
	uint8_t ifls;
	uint16_t imsc;
	uint16_t ris;
	uint8_t dmacr;
	/* RX FIFO: data byte plus UARTDR error bits per entry. */
	uint16_t fifo[VPL011_FIFO_DEPTH];
	unsigned int fifo_head;
	unsigned int fifo_count;
	bool irq_level; /* last level reported through set_irq */
	struct vpl011_stats stats;
};

/* Sets callbacks and stats to zero, then resets. The UART starts with its output low. */
void vpl011_init(struct vpl011 *uart, const struct vpl011_ops *ops, void *ctx);
/* Hardware reset (PRESETn): reset register values, empty FIFO, interrupt low. */
void vpl011_reset(struct vpl011 *uart);

/* Register accesses at `offset` in the 4 KiB frame; 0 on success, -1 if refused. */
int vpl011_read(struct vpl011 *uart, uint64_t offset, unsigned int size, uint64_t *value);
int vpl011_write(struct vpl011 *uart, uint64_t offset, unsigned int size, uint64_t value);
/* For mmio_register(): ctx is the struct vpl011 *. */
extern const struct mmio_ops vpl011_mmio_ops;

/*
 * Input with flow control: takes as many bytes as the FIFO has room for and
 * returns that count; the caller keeps the rest and offers it again later
 * (e.g. after the guest's next access). Takes nothing while the receiver is
 * disabled (UARTEN or RXE clear) or in loopback, where the line is
 * disconnected.
 */
size_t vpl011_receive(struct vpl011 *uart, const uint8_t *buf, size_t len);
/*
 * Input as a wire without flow control delivers it: bytes that find the FIFO
 * full are lost and raise an overrun (UARTRSR.OE, OEIS, OE on the last byte
 * stored); bytes sent while the receiver is off are lost silently. Returns
 * how many bytes were stored.
 */
size_t vpl011_receive_lossy(struct vpl011 *uart, const uint8_t *buf, size_t len);
/* How many bytes vpl011_receive() would take now. */
size_t vpl011_rx_room(const struct vpl011 *uart);

bool vpl011_irq_level(const struct vpl011 *uart);

#endif
