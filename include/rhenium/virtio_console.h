/* SPDX-License-Identifier: MIT */
/*
 * An emulated virtio console (VIRTIO 1.2 section 5.3) with one port and no
 * optional features: queue 0 carries input to the guest, queue 1 output
 * from it. Output goes to a callback (the VM's place on the monitor console);
 * input is offered with virtio_console_receive(), which takes what the
 * guest has buffers for. Linux sees it as /dev/hvc0.
 */
#ifndef RHENIUM_VIRTIO_CONSOLE_H
#define RHENIUM_VIRTIO_CONSOLE_H

#include <rhenium/virtio_mmio.h>

struct virtio_console {
	struct virtio_mmio transport;
	void (*output)(void *ctx, const uint8_t *buf, size_t len);
	void *output_ctx;
	uint64_t tx_bytes;
	uint64_t rx_bytes;
};

void virtio_console_init(struct virtio_console *con, const char *owner,
			 const struct virtq_guest_mem *mem,
			 void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx,
			 void (*output)(void *ctx, const uint8_t *buf, size_t len),
			 void *output_ctx);
/* Input for the guest: returns how many bytes it had buffers for (0 while it has none). */
size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len);
/* True once the guest's driver is running: input should go here rather than to the UART. */
bool virtio_console_ready(const struct virtio_console *con);

#endif
