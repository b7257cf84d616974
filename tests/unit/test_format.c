/* SPDX-License-Identifier: MIT */
/*
 * fmt_snprintf against the host C library's snprintf: same return value and
 * same bytes in the buffer, both untruncated and at every buffer size from 0 to
 * one past the output length (checking that nothing past the NUL is touched).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rhenium/format.h>

#include "test.h"

#define CMP_BUF 320

static void cmp_report(const char *file, int line, const char *args, size_t size, int rh,
		       const char *h, int rm, const char *m)
{
	fprintf(stderr, "  %s:%d: fmt_snprintf(%s) size %zu: host %d \"%s\", ours %d \"%s\"\n",
		file, line, args, size, rh, h, rm, m);
	test_fail(file, line, "fmt_snprintf matches snprintf");
}

/*
 * A macro rather than a function so both printf implementations see the same
 * literal format and the compiler type-checks the arguments against it.
 */
#define CMP(...)                                                                                 \
	do {                                                                                     \
		char h_[CMP_BUF], m_[CMP_BUF];                                                   \
		int rh_ = snprintf(h_, sizeof(h_), __VA_ARGS__);                                 \
		int rm_ = fmt_snprintf(m_, sizeof(m_), __VA_ARGS__);                             \
		if (rh_ != rm_ || strcmp(h_, m_) != 0) {                                         \
			cmp_report(__FILE__, __LINE__, #__VA_ARGS__, CMP_BUF, rh_, h_, rm_, m_); \
			break;                                                                   \
		}                                                                                \
		if (fmt_snprintf(NULL, 0, __VA_ARGS__) != rh_)                                   \
			cmp_report(__FILE__, __LINE__, #__VA_ARGS__, 0, rh_, "", -1, "NULL");    \
		for (size_t n_ = 0; n_ <= (size_t)rh_ + 1 && n_ < sizeof(h_); n_++) {            \
			int th_, tm_;                                                            \
			memset(h_, 0x5a, sizeof(h_));                                            \
			memset(m_, 0x5a, sizeof(m_));                                            \
			th_ = snprintf(h_, n_, __VA_ARGS__);                                     \
			tm_ = fmt_snprintf(m_, n_, __VA_ARGS__);                                 \
			if (th_ != tm_ || memcmp(h_, m_, sizeof(h_)) != 0) {                     \
				h_[sizeof(h_) - 1] = m_[sizeof(m_) - 1] = '\0';                  \
				cmp_report(__FILE__, __LINE__, #__VA_ARGS__, n_, th_, h_, tm_,   \
					   m_);                                                  \
				break;                                                           \
			}                                                                        \
		}                                                                                \
	} while (0)

/* Non-literal formats with one argument, for the format x value matrices. */
#define CMP_DYN(type, fmts, vals)                                                                \
	do {                                                                                     \
		for (size_t i_ = 0; i_ < ARRAY_SIZE(fmts); i_++) {                               \
			for (size_t j_ = 0; j_ < ARRAY_SIZE(vals); j_++) {                       \
				char h_[CMP_BUF], m_[CMP_BUF];                                   \
				type v_ = (vals)[j_];                                            \
				int rh_ = snprintf(h_, sizeof(h_), (fmts)[i_], v_);              \
				int rm_ = fmt_snprintf(m_, sizeof(m_), (fmts)[i_], v_);          \
				if (rh_ != rm_ || strcmp(h_, m_) != 0)                           \
					cmp_report(__FILE__, __LINE__, (fmts)[i_], CMP_BUF, rh_, \
						   h_, rm_, m_);                                 \
				count++;                                                         \
			}                                                                        \
		}                                                                                \
	} while (0)

TEST(fmt_table_vs_host)
{
	CMP("plain text");
	CMP("%s", "");
	CMP("%%");
	CMP("100%% done %d%%", 5);
	CMP("%d", 0);
	CMP("%d", INT_MIN);
	CMP("%d", INT_MAX);
	CMP("%i", -7);
	CMP("%u", UINT_MAX);
	CMP("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CMP("%o", 8u);
	CMP("%lld", (long long)INT64_MIN);
	CMP("%lld", (long long)INT64_MAX);
	CMP("%llu", (unsigned long long)UINT64_MAX);
	CMP("%llx", (unsigned long long)UINT64_MAX);
	CMP("%llo", (unsigned long long)UINT64_MAX);
	CMP("%#llo", (unsigned long long)UINT64_MAX);
	CMP("%#llX", (unsigned long long)UINT64_MAX);
	CMP("%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
	CMP("%jd %ju %jx", INTMAX_MIN, UINTMAX_MAX, UINTMAX_MAX);
	CMP("%zu %zx", SIZE_MAX, (size_t)4096);
	CMP("%td %tx", PTRDIFF_MIN, (ptrdiff_t)255);
	CMP("%hhd %hhu %hhx", (signed char)-128, (unsigned char)255, (unsigned char)0xab);
	CMP("%hd %hu %hx", (short)SHRT_MIN, (unsigned short)USHRT_MAX, (unsigned short)0xbeef);
	/* Zero with precision zero prints no digits, except where '#' demands one. */
	CMP("[%.0d]", 0);
	CMP("[%.0u]", 0u);
	CMP("[%.0x]", 0u);
	CMP("[%#.0x]", 0u);
	CMP("[%.0o]", 0u);
	CMP("[%#.0o]", 0u);
	CMP("[%5.0d]", 0);
	CMP("[%-5.0d]", 0);
	CMP("[%+.0d]", 0);
	CMP("[% .0d]", 0);
	CMP("[%#x]", 0u);
	CMP("[%#o]", 0u);
	CMP("[%#5o]", 8u);
	CMP("[%#.3o]", 8u);
	CMP("[%#.4o]", 8u);
	/* Star width and precision, including the negative cases C defines. */
	CMP("[%*d]", 6, 42);
	CMP("[%*d]", -6, 42);
	CMP("[%-*d]", -6, 42);
	CMP("[%.*d]", 4, 42);
	CMP("[%.*d]", -4, 42);
	CMP("[%*.*x]", 10, 6, 0xabcu);
	CMP("[%*s]", -8, "ab");
	CMP("[%.*s]", 3, "abcdef");
	CMP("[%.*s]", -3, "abcdef");
	/* Characters and strings. */
	CMP("%c", 'A');
	CMP("[%5c][%-5c]", 'x', 'y');
	CMP("%c%c%c", 'a', 0x7f, '~');
	CMP("[%10s]", "right");
	CMP("[%-10s]", "left");
	CMP("[%.2s]", "truncated");
	CMP("[%10.2s]", "truncated");
	CMP("[%-10.0s]", "gone");
	CMP("[%3s]", "longer than width");
	CMP("%s=%d, %s=%#x", "a", 1, "b", 2u);
	CMP("%s", "a long string that is meant to be cut at every possible buffer size by the "
		  "truncation loop in CMP, which must always agree with the host");
	CMP("%300d", 1);
	CMP("%-300d|", -1);
}

/*
 * Flag combinations that are valid C but that the compiler's format checker
 * flags as redundant; they are exactly the interesting precedence rules.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST(fmt_flag_precedence_vs_host)
{
	/* Flag interactions: '-' beats '0', '+' beats ' ', precision disables '0'. */
	CMP("[%-05d]", 42);
	CMP("[% +d]", 42);
	CMP("[%+ d]", -42);
	CMP("[%08.3d]", -42);
	CMP("[%0+8d]", 42);
	CMP("[% 08d]", 42);
	CMP("[%#010x]", 0x1234u);
	CMP("[%#010X]", 0x1234u);
	CMP("[%-#10x]", 0x1234u);
	CMP("[%010u]", 3000000000u);
	CMP("[%-+12lld]", (long long)INT64_MIN);
	CMP("[%025lld]", (long long)INT64_MIN);
	CMP("[%.25lld]", (long long)INT64_MIN);
	CMP("[%30.25llx]", (unsigned long long)UINT64_MAX);
	CMP("[%00005d]", 7);
	CMP("[%--5d]", 7);
	CMP("[%0*.*d]", 8, -1, 42);
	CMP("[%0*.*d]", 8, 3, 42);
	CMP("[%-0*d]", 8, 42);
	CMP("[%0-8x]", 0xabu);
}
#pragma GCC diagnostic pop

TEST(fmt_int_matrix_vs_host)
{
	static const char *const int_fmts[] = {
		"%d",	 "%i",	    "%5d",  "%-5d",  "%05d",   "%+d",	   "% d",   "%+5d",
		"% 05d", "%.0d",    "%.3d", "%8.3d", "%-8.3d", "%08.3d",   "%+.0d", "%-+8d",
		"%+08d", "%12.10d", "%1d",  "%-1d",  "% .5d",  "%+-08.4d",
	};
	static const int int_vals[] = {
		INT_MIN, INT_MIN + 1, -1000000, -42, -9,   -1,	      0,	   1,
		9,	 10,	      42,	255, 4096, 123456789, INT_MAX - 1, INT_MAX,
	};
	static const char *const uint_fmts[] = {
		"%u",	 "%x",	  "%X",	   "%o",    "%#x",    "%#X",	"%#o",
		"%10u",	 "%-10x", "%010o", "%#10x", "%#010x", "%-#10x", "%.0x",
		"%#.0x", "%.0o",  "%#.0o", "%#.5o", "%#5o",   "%.6X",	"%#.6X",
		"%hhu",	 "%hhx",  "%hu",   "%#hx",  "%hho",   "%+u",	"% x",
	};
	static const unsigned int uint_vals[] = {
		0,	1,	7,	8,	 9,	     15,	 16,	      255,	256,
		0x7fff, 0x8000, 0xffff, 0x10000, 0x12345678, 0x7fffffff, 0x80000000u, UINT_MAX,
	};
	static const char *const ll_fmts[] = {
		"%lld",	 "%lli",   "%25lld",  "%-25lld",  "%025lld",	 "%+lld",
		"% lld", "%.0lld", "%.22lld", "%+.22lld", "%-+30.21lld",
	};
	static const long long ll_vals[] = {
		(long long)INT64_MIN, (long long)INT64_MIN + 1, -(1LL << 32), -1, 0, 1, 1LL << 32,
		1000000000000LL,      (long long)INT64_MAX,
	};
	static const char *const ull_fmts[] = {
		"%llu",	  "%llx",    "%llX",	"%llo",	    "%#llx",	"%#llX",   "%#llo",
		"%.0llx", "%#.0llo", "%030llu", "%-#30llx", "%#030llo", "%.24llx",
	};
	static const unsigned long long ull_vals[] = {
		0,
		1,
		0xfff,
		0x1000,
		0xffffffffULL,
		0x100000000ULL,
		0x40200000ULL,
		0x8000000000000000ULL,
		UINT64_MAX,
	};
	static const char *const z_fmts[] = { "%zu", "%zx", "%#zx", "%20zu", "%-20zX|" };
	static const size_t z_vals[] = { 0, 1, 4096, SIZE_MAX / 2, SIZE_MAX };
	/* %zd takes the signed type of size_t's width, which is ptrdiff_t on our targets. */
	static const char *const t_fmts[] = { "%td", "%+td", "%20td", "%-20td|", "%.3td", "%zd" };
	static const ptrdiff_t t_vals[] = { PTRDIFF_MIN, -1, 0, 1, PTRDIFF_MAX };
	static const char *const j_fmts[] = { "%jd", "%+jd", "%030jd", "%ji" };
	static const intmax_t j_vals[] = { INTMAX_MIN, -1, 0, 1, INTMAX_MAX };
	static const char *const l_fmts[] = { "%ld", "%li", "% ld", "%-21ld|", "%021ld" };
	static const long l_vals[] = { LONG_MIN, -1, 0, 1, LONG_MAX };
	unsigned int count = 0;

	CMP_DYN(int, int_fmts, int_vals);
	CMP_DYN(unsigned int, uint_fmts, uint_vals);
	CMP_DYN(long long, ll_fmts, ll_vals);
	CMP_DYN(unsigned long long, ull_fmts, ull_vals);
	CMP_DYN(size_t, z_fmts, z_vals);
	CMP_DYN(ptrdiff_t, t_fmts, t_vals);
	CMP_DYN(intmax_t, j_fmts, j_vals);
	CMP_DYN(long, l_fmts, l_vals);
	CHECK(count > 1000);
}

TEST(fmt_hh_h_wraparound)
{
	/*
	 * Arguments are promoted to int; hh and h must convert back before
	 * printing. Out-of-range ints on purpose, so the formats are not literals
	 * (format checkers rightly object to int for %hh).
	 */
	const char *hh = "%hhd %hhd %hhu %hhx";
	const char *h = "%hd %hu %hx";

	/* cppcheck-suppress [invalidPrintfArgType_sint, invalidPrintfArgType_uint] */
	CMP(hh, 200, -129, 256 + 7, 0x1ff);
	/* cppcheck-suppress [invalidPrintfArgType_sint, invalidPrintfArgType_uint] */
	CMP(h, 40000, 70000, 0x12345);
}

TEST(fmt_size_zero_null_buffer)
{
	char buf[4] = { 'a', 'b', 'c', 'd' };

	CHECK_EQ(fmt_snprintf(NULL, 0, "%d-%s", 12345, "xyz"), 9);
	CHECK_EQ(fmt_snprintf(buf, 0, "%d", 12345), 5);
	CHECK(buf[0] == 'a' && buf[3] == 'd');
	CHECK_EQ(fmt_snprintf(buf, 1, "%d", 12345), 5);
	CHECK(buf[0] == '\0' && buf[1] == 'b');
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%d", 12345), 5);
	CHECK(memcmp(buf, "123", 4) == 0);
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%s", ""), 0);
	CHECK(buf[0] == '\0');
}

TEST(fmt_null_string)
{
	char buf[32];
	const char *volatile nul = NULL;

	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "[%s]", nul), 8);
	CHECK(strcmp(buf, "[(null)]") == 0);
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "[%8s]", nul), 10);
	CHECK(strcmp(buf, "[  (null)]") == 0);
	/* Defined here as the string "(null)" cut by the precision like any other. */
	fmt_snprintf(buf, sizeof(buf), "[%.3s]", nul);
	CHECK(strcmp(buf, "[(nu]") == 0);
}

TEST(fmt_pointer)
{
	char buf[64], want[64];
	int x;

	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0);
	CHECK(strcmp(buf, "0x0") == 0);
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0x40200000UL);
	CHECK(strcmp(buf, "0x40200000") == 0);
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)&x);
	snprintf(want, sizeof(want), "0x%lx", (unsigned long)(uintptr_t)&x);
	CHECK(strcmp(buf, want) == 0);
	fmt_snprintf(buf, sizeof(buf), "[%14p]", (void *)0xffff0000UL);
	CHECK(strcmp(buf, "[    0xffff0000]") == 0);
	fmt_snprintf(buf, sizeof(buf), "[%-14p]", (void *)0xffff0000UL);
	CHECK(strcmp(buf, "[0xffff0000    ]") == 0);
	CHECK_EQ(fmt_snprintf(NULL, 0, "%p", (void *)UINTPTR_MAX), 2 + 2 * sizeof(void *));
}

/* Deliberately malformed formats: the compiler's checker would (rightly) object. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
TEST(fmt_unknown_and_incomplete)
{
	char buf[64];
	const char *volatile incomplete = "abc%-5";

	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "a%qb", 1), 4);
	CHECK(strcmp(buf, "a%qb") == 0);
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%n", (int *)NULL), 2);
	CHECK(strcmp(buf, "%n") == 0);
	fmt_snprintf(buf, sizeof(buf), incomplete);
	CHECK(strcmp(buf, "abc%-5") == 0);
	fmt_snprintf(buf, sizeof(buf), "end%");
	CHECK(strcmp(buf, "end%") == 0);
}
#pragma GCC diagnostic pop

TEST(fmt_size_units)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ KiB(1), "1 KiB" },
		{ KiB(4), "4 KiB" },
		{ KiB(1) + 512, "1.5 KiB" },
		{ KiB(1) + 1, "1.0 KiB" },
		{ KiB(1024) - 1, "1023.9 KiB" },
		{ MiB(512), "512 MiB" },
		{ GiB(1), "1 GiB" },
		{ GiB(1) + MiB(512), "1.5 GiB" },
		{ GiB(1) + KiB(4), "1.0 GiB" },
		{ GiB(2) - 1, "1.9 GiB" },
		{ GiB(3) + MiB(307), "3.2 GiB" },
		{ GiB(1024), "1 TiB" },
		{ (uint64_t)1 << 50, "1 PiB" },
		{ (uint64_t)1 << 60, "1 EiB" },
		{ UINT64_MAX, "15.9 EiB" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = fmt_size(buf, sizeof(buf), cases[i].bytes);

		if (strcmp(buf, cases[i].want) != 0 || n != (int)strlen(cases[i].want)) {
			fprintf(stderr, "  fmt_size(%llu) = \"%s\" (%d), want \"%s\"\n",
				(unsigned long long)cases[i].bytes, buf, n, cases[i].want);
			test_fail(__FILE__, __LINE__, "fmt_size");
		}
	}
	/* Truncates like snprintf. */
	CHECK_EQ(fmt_size(buf, 4, GiB(1) + MiB(512)), 7);
	CHECK(strcmp(buf, "1.5") == 0);
	CHECK_EQ(fmt_size(NULL, 0, MiB(512)), 7);
}
