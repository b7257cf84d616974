// SPDX-License-Identifier: MIT
/*
 * /bin/rhenium-counter in the test initramfs: prints the generic timer's
 * virtual count and frequency, e.g. "cntvct 3456789012 at 1000000000 Hz".
 *
 * The kernel's clocks (/proc/uptime, printk times) start at timekeeping
 * init; CNTVCT_EL0 starts at reset (QEMU's virtual clock, CNTVOFF = 0 when
 * nothing at EL2 offsets it), so this is how long the boot took, in guest
 * time, from the machine's reset. Linux lets EL0 read CNTVCT_EL0 (for the
 * vDSO), so no system call is needed for the reading itself.
 *
 * Static, no libc: built by scripts/mkinitramfs.sh with the cross compiler.
 */
typedef unsigned long u64;

static long sys_write(int fd, const char *buf, u64 len)
{
	register long x0 __asm__("x0") = fd;
	register long x1 __asm__("x1") = (long)buf;
	register long x2 __asm__("x2") = (long)len;
	register long x8 __asm__("x8") = 64; /* __NR_write */
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
	return x0;
}

static void __attribute__((noreturn)) sys_exit(int code)
{
	register long x0 __asm__("x0") = code;
	register long x8 __asm__("x8") = 93; /* __NR_exit */
	for (;;)
		__asm__ volatile("svc #0" : : "r"(x0), "r"(x8));
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_dec(char *p, u64 v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void _start(void);
void __attribute__((noreturn)) _start(void)
{
	char buf[80];
	char *p = buf;
	u64 cnt, frq;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	p = put_str(p, "cntvct ");
	p = put_dec(p, cnt);
	p = put_str(p, " at ");
	p = put_dec(p, frq);
	p = put_str(p, " Hz\n");
	sys_exit(sys_write(1, buf, (u64)(p - buf)) == p - buf ? 0 : 1);
}
