/* SPDX-License-Identifier: MIT */
/*
 * Freestanding vsnprintf. Every conversion is laid out as
 *   [left padding][sign or 0x prefix][leading zeros][digits or text][right padding]
 * and emitted through put(), which counts every character but only stores the
 * ones that fit, so truncation and the C99 return value fall out naturally.
 */
#include <limits.h>

#include <rhenium/format.h>

#define F_LEFT 0x01u  /* '-' */
#define F_ZERO 0x02u  /* '0' */
#define F_PLUS 0x04u  /* '+' */
#define F_SPACE 0x08u /* ' ' */
#define F_ALT 0x10u   /* '#' */

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters produced so far, stored or not */
};

struct spec {
	unsigned int flags;
	size_t width;
	size_t prec;
	bool has_prec;
	enum len_mod len;
};

static void put(struct out *o, char c)
{
	/* len + 1 < size keeps the last byte for the NUL and is false for size 0. */
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_rep(struct out *o, char c, size_t n)
{
	while (n--)
		put(o, c);
}

static void put_mem(struct out *o, const char *s, size_t n)
{
	while (n--)
		put(o, *s++);
}

/* strnlen is POSIX, not C11: the host build with -std=c11 does not declare it. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* Saturating, so an absurd width in a format cannot wrap into a small one. */
static size_t parse_num(const char **pp)
{
	const char *p = *pp;
	size_t v = 0;

	while (*p >= '0' && *p <= '9') {
		unsigned int d = (unsigned int)(*p++ - '0');

		v = v > (INT_MAX - d) / 10 ? INT_MAX : v * 10 + d;
	}
	*pp = p;
	return v;
}

static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > n ? sp->width - n : 0;

	if (!(sp->flags & F_LEFT))
		put_rep(o, ' ', pad);
	put_mem(o, s, n);
	if (sp->flags & F_LEFT)
		put_rep(o, ' ', pad);
}

static void put_int(struct out *o, const struct spec *sp, uintmax_t mag, bool negative,
		    bool is_signed, unsigned int base, bool upper, bool force_prefix)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[sizeof(uintmax_t) * CHAR_BIT / 3 + 1];
	char prefix[2];
	size_t ndig = 0, nprefix = 0, zeros, total, prec;

	/* Digits least significant first; zero has none so precision 0 prints nothing. */
	for (uintmax_t v = mag; v; v /= base)
		digits[ndig++] = digit_chars[v % base];

	if (is_signed) {
		if (negative)
			prefix[nprefix++] = '-';
		else if (sp->flags & F_PLUS)
			prefix[nprefix++] = '+';
		else if (sp->flags & F_SPACE)
			prefix[nprefix++] = ' ';
	}
	if (base == 16 && (force_prefix || ((sp->flags & F_ALT) && mag))) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = upper ? 'X' : 'x';
	}

	prec = sp->has_prec ? sp->prec : 1;
	zeros = prec > ndig ? prec - ndig : 0;
	/* '#' with %o means "the first digit is a 0", whether from precision or added. */
	if (base == 8 && (sp->flags & F_ALT) && zeros == 0)
		zeros = 1;
	total = nprefix + zeros + ndig;
	if ((sp->flags & (F_ZERO | F_LEFT)) == F_ZERO && !sp->has_prec && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}

	if (!(sp->flags & F_LEFT) && sp->width > total)
		put_rep(o, ' ', sp->width - total);
	put_mem(o, prefix, nprefix);
	put_rep(o, '0', zeros);
	while (ndig)
		put(o, digits[--ndig]);
	if ((sp->flags & F_LEFT) && sp->width > total)
		put_rep(o, ' ', sp->width - total);
}

static intmax_t arg_signed(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
	case LEN_T:
		/* The signed type matching size_t has no standard name; ptrdiff_t is it here. */
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t arg_unsigned(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	sp->flags = 0;
	for (;; p++) {
		if (*p == '-')
			sp->flags |= F_LEFT;
		else if (*p == '0')
			sp->flags |= F_ZERO;
		else if (*p == '+')
			sp->flags |= F_PLUS;
		else if (*p == ' ')
			sp->flags |= F_SPACE;
		else if (*p == '#')
			sp->flags |= F_ALT;
		else
			break;
	}

	if (*p == '*') {
		int w = va_arg(*ap, int);

		p++;
		/* A negative * width is a '-' flag plus a positive width (C11 7.21.6.1p5). */
		if (w < 0) {
			sp->flags |= F_LEFT;
			sp->width = (size_t) - (long long)w;
		} else {
			sp->width = (size_t)w;
		}
	} else {
		sp->width = parse_num(&p);
	}

	sp->has_prec = false;
	sp->prec = 0;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			int pr = va_arg(*ap, int);

			p++;
			/* A negative * precision is taken as if it were omitted. */
			if (pr >= 0) {
				sp->has_prec = true;
				sp->prec = (size_t)pr;
			}
		} else {
			sp->has_prec = true;
			sp->prec = parse_num(&p);
		}
	}

	sp->len = LEN_NONE;
	switch (*p) {
	case 'h':
		p++;
		sp->len = LEN_H;
		if (*p == 'h') {
			p++;
			sp->len = LEN_HH;
		}
		break;
	case 'l':
		p++;
		sp->len = LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = LEN_LL;
		}
		break;
	case 'z':
		p++;
		sp->len = LEN_Z;
		break;
	case 't':
		p++;
		sp->len = LEN_T;
		break;
	case 'j':
		p++;
		sp->len = LEN_J;
		break;
	default:
		break;
	}
	return p;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	va_list args;
	const char *p = fmt;

	/* Work on a copy so helpers can take a pointer to it portably (va_list may be an array). */
	va_copy(args, ap);
	while (*p) {
		const char *start = p;
		struct spec sp;

		if (*p != '%') {
			put(&o, *p++);
			continue;
		}
		p = parse_spec(p + 1, &sp, &args);

		switch (*p) {
		case 'd':
		case 'i': {
			intmax_t v = arg_signed(sp.len, &args);
			uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;

			put_int(&o, &sp, mag, v < 0, true, 10, false, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned int base = *p == 'o' ? 8 : *p == 'u' ? 10 : 16;

			put_int(&o, &sp, arg_unsigned(sp.len, &args), false, false, base, *p == 'X',
				false);
			break;
		}
		case 'p': {
			struct spec psp = { .flags = sp.flags & F_LEFT, .width = sp.width };
			uintptr_t v = (uintptr_t)va_arg(args, void *);

			put_int(&o, &psp, v, false, false, 16, false, true);
			break;
		}
		case 'c': {
			char c = (char)(unsigned char)va_arg(args, int);

			put_padded(&o, &sp, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);

			if (!s)
				s = "(null)";
			put_padded(&o, &sp, s, bounded_len(s, sp.has_prec ? sp.prec : SIZE_MAX));
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			/* Format ends inside a conversion: show what there was and stop. */
			put_mem(&o, start, (size_t)(p - start));
			continue;
		default:
			put_mem(&o, start, (size_t)(p - start) + 1);
			break;
		}
		p++;
	}
	va_end(args);

	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT_MAX ? -1 : (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

int fmt_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	unsigned int shift;
	uint64_t whole, rem;

	while (u + 1 < ARRAY_SIZE(units) && (bytes >> (10 * (u + 1))) != 0)
		u++;
	shift = 10 * u;
	whole = bytes >> shift;
	rem = bytes - (whole << shift);
	if (rem == 0)
		return fmt_snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[u]);
	/* rem < 2^60, so rem * 10 cannot overflow; the shift rounds down on purpose. */
	return fmt_snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			    (unsigned long long)((rem * 10) >> shift), units[u]);
}
