/* SPDX-License-Identifier: MIT */
/*
 * Levelled, printf-style logging to the console. Each call produces whole
 * lines that are written under one lock, so CPUs never interleave mid-line.
 */
#ifndef RHENIUM_LOG_H
#define RHENIUM_LOG_H

#include <stdarg.h>

#include <rhenium/types.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Messages above this level are dropped. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; false if unknown. */
bool log_level_from_name(const char *name, size_t len, enum log_level *out);

/*
 * Cross-CPU locking needs the MMU and caches on (exclusives); boot code
 * turns it on once that is true.
 */
void log_enable_locking(void);

void log_printf(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void log_vprintf(enum log_level level, const char *fmt, va_list ap);
/* No prefix, always printed: banners and register dumps. */
void log_raw(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define LOG_ERROR(...) log_printf(LOG_LEVEL_ERROR, __VA_ARGS__)
#define LOG_WARN(...) log_printf(LOG_LEVEL_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_printf(LOG_LEVEL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_printf(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
