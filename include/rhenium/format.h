/* SPDX-License-Identifier: MIT */
/*
 * printf-style formatting into a caller-provided buffer. Freestanding: no
 * allocation, no locale, no floating point.
 *
 * Supported: conversions %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #,
 * field width and precision (either may be *), length modifiers hh h l ll z t j.
 * Behaviour matches C99/C11 snprintf for all of those, with these choices where
 * the C library is free to differ or the standard leaves it undefined:
 *  - %s with a NULL pointer prints "(null)" (cut by the precision like any string);
 *  - %p prints "0x" followed by lowercase hex, "0x0" for NULL; flags other than
 *    '-' and width are ignored;
 *  - %n is not supported (it is a write primitive); it and any other unknown
 *    conversion are copied to the output verbatim, so a bad format is visible
 *    rather than silently consuming arguments;
 *  - the '0' flag is ignored for %c, %s and %p.
 */
#ifndef RHENIUM_FORMAT_H
#define RHENIUM_FORMAT_H

#include <stdarg.h>

#include <rhenium/types.h>

/*
 * Writes at most size - 1 characters plus a terminating NUL (nothing at all if
 * size is 0, in which case buf may be NULL). Returns the length the complete
 * output would have had, so a return value >= size means it was truncated.
 * Returns -1 only if that length does not fit in an int.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * Human-readable size in binary units for banners: "0 B", "512 B", "4 KiB",
 * "512 MiB", "1 GiB", "1.5 GiB". The largest unit that is <= bytes is used; if
 * the value is not a whole number of that unit one decimal is printed, rounded
 * down so a banner never overstates memory (1 GiB + 4 KiB prints "1.0 GiB").
 * Same buffer and return conventions as fmt_snprintf.
 */
int fmt_size(char *buf, size_t size, uint64_t bytes);

#endif
