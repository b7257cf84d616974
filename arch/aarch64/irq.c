/* SPDX-License-Identifier: MIT */
/*
 * The arch interrupt interface on top of the physical GICv3, and the
 * console's receive interrupt: characters typed on the physical UART are
 * moved into the console input buffer, from where a VM's emulated UART takes
 * them.
 */
#include <arch/gicv3.h>
#include <arch/pl011.h>
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/console.h>
#include <rhenium/irq.h>
#include <rhenium/log.h>
#include <rhenium/platform.h>

extern struct pl011 boot_uart;

static uint64_t irq_cpu_mpidr[64];

static bool irq_console_rx(uint32_t intid, void *ctx)
{
	uint8_t buf[32];
	size_t n;

	(void)intid;
	(void)ctx;
	/* Drain the FIFO completely: the line is level-triggered on "FIFO not empty". */
	while ((n = pl011_read_input(&boot_uart, buf, sizeof(buf))) > 0)
		console_input_push(buf, n);
	return true;
}

int arch_irq_init(const struct platform_info *plat)
{
	if (gicv3_init(plat) != 0)
		return -1;
	if (plat->uart.size && plat->uart_irq >= 32) {
		irq_register(plat->uart_irq, irq_console_rx, NULL);
		gicv3_enable_spi(plat->uart_irq, arch_cpu_mpidr(), true);
		pl011_enable_rx_irq(&boot_uart);
	}
	return 0;
}

int arch_irq_cpu_init(void)
{
	unsigned int cpu = arch_cpu_index();

	if (cpu < ARRAY_SIZE(irq_cpu_mpidr))
		irq_cpu_mpidr[cpu] = arch_cpu_mpidr();
	/* The virtual timer's reset state is UNKNOWN: it must not fire before a guest owns it. */
	sysreg_write(cntv_ctl_el0, 0);
	return gicv3_cpu_init();
}

void arch_irq_enable(uint32_t intid)
{
	if (intid < 32)
		gicv3_enable_ppi(intid);
	else
		gicv3_enable_spi(intid, arch_cpu_mpidr(), true);
}

void arch_irq_deactivate(uint32_t intid)
{
	gicv3_deactivate(intid);
}

void arch_cpu_kick(unsigned int cpu)
{
	if (cpu < ARRAY_SIZE(irq_cpu_mpidr))
		gicv3_send_sgi(ARCH_KICK_SGI, irq_cpu_mpidr[cpu]);
}
