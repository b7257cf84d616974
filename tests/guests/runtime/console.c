// SPDX-License-Identifier: MIT
/*
 * Console of the test guests: the UART at PL011_BASE (the DTB's, see
 * platform.c), a PL011 or an SBSA generic UART, polled, no interrupts, and a
 * small printf.
 *
 * printf supports: flags '-' '0' '#', a width (digits or '*'), the length
 * modifiers hh h l ll z j t, and the conversions d i u x X o p s c %.
 * No floating point (the guests are built with -mgeneral-regs-only).
 */
#include "internal.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTCR 0x030
#define UARTFR_TXFF (1U << 5)
#define UARTCR_UARTEN (1U << 0)
#define UARTCR_TXE (1U << 8)
#define UARTCR_RXE (1U << 9)

void console_init(void)
{
	/* An SBSA UART has no UARTCR: whoever gave it to us has it running. */
	if (guest_platform.uart_sbsa)
		return;

	uint32_t cr = readl(PL011_BASE + UARTCR);
	uint32_t want = UARTCR_UARTEN | UARTCR_TXE | UARTCR_RXE;

	/* Firmware or QEMU may leave it disabled (QEMU resets CR to TXE|RXE). */
	if ((cr & want) != want)
		writel(cr | want, PL011_BASE + UARTCR);
}

static void uart_putc(char c)
{
	while (readl(PL011_BASE + UARTFR) & UARTFR_TXFF)
		;
	writel((uint8_t)c, PL011_BASE + UARTDR);
}

void console_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

/* ---------------------------------------------------------------- format */
struct sink {
	char *buf; /* NULL: the console */
	size_t size;
	size_t len;
};

static void emit(struct sink *s, char c)
{
	if (!s->buf)
		console_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

/* [prefix][body] in a field of width characters: spaces, or zeros after the prefix. */
static void emit_field(struct sink *s, const char *prefix, const char *body, size_t n,
		       unsigned width, bool left, char pad)
{
	size_t len = strlen(prefix) + n;
	size_t fill = width > len ? width - len : 0;

	if (!left && pad == ' ')
		for (; fill; fill--)
			emit(s, ' ');
	while (*prefix)
		emit(s, *prefix++);
	if (!left)
		for (; fill; fill--)
			emit(s, '0');
	for (size_t i = 0; i < n; i++)
		emit(s, body[i]);
	for (; fill; fill--)
		emit(s, ' ');
}

/* Digits of v in base, most significant first; returns their count. */
static size_t format_digits(char *out, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0, len = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	while (n)
		out[len++] = tmp[--n];
	return len;
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
	while (*fmt) {
		if (*fmt != '%') {
			emit(s, *fmt++);
			continue;
		}
		fmt++;
		bool left = false, alt = false;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		unsigned width = 0;
		if (*fmt == '*') {
			int w = va_arg(ap, int);
			if (w < 0) {
				left = true;
				w = -w;
			}
			width = (unsigned)w;
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (unsigned)(*fmt++ - '0');
		}
		bool wide = false; /* l, ll, z, j, t: 64-bit; none, h, hh: int */
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't')
				wide = true;
			else if (*fmt != 'h')
				break;
		}

		char num[24];
		size_t n;
		uint64_t u;
		int64_t d;
		const char *prefix = "";
		char conv = *fmt ? *fmt++ : '\0';
		switch (conv) {
		case 'd':
		case 'i':
			d = wide ? va_arg(ap, int64_t) : va_arg(ap, int);
			u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
			n = format_digits(num, u, 10, false);
			emit_field(s, d < 0 ? "-" : "", num, n, width, left, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = wide ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			n = format_digits(num, u,
					  conv == 'u'	? 10
					  : conv == 'o' ? 8
							: 16,
					  conv == 'X');
			if (alt && u && conv == 'x')
				prefix = "0x";
			else if (alt && u && conv == 'X')
				prefix = "0X";
			else if (alt && u && conv == 'o')
				prefix = "0";
			emit_field(s, prefix, num, n, width, left, pad);
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			n = format_digits(num, u, 16, false);
			emit_field(s, "0x", num, n, width, left, pad);
			break;
		case 'c':
			num[0] = (char)va_arg(ap, int);
			emit_field(s, "", num, 1, width, left, ' ');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			emit_field(s, "", str, strlen(str), width, left, ' ');
			break;
		}
		case '%':
			emit(s, '%');
			break;
		default: /* unknown: print it as is */
			emit(s, '%');
			if (conv)
				emit(s, conv);
			break;
		}
	}
	return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s = { 0 };

	return format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size, .len = 0 };
	int n = format(&s, fmt, ap);

	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
