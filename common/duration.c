/*
 * duration.c: "1h30m" -> 5400000. Whole numbers only (no "1.5h"): a
 * schedule or timeout never needs fractions, and integers keep it exact.
 */
#include "duration.h"

#include <ctype.h>
#include <string.h>

int duration_parse_ms(const char *s, int64_t *out)
{
    int64_t total = 0;
    int pairs = 0;
    if (!s || !*s)
        return -1;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        int64_t n = 0;
        while (isdigit((unsigned char)*s)) {
            n = n * 10 + (*s - '0');
            if (n > (int64_t)1e12)
                return -1;
            s++;
        }
        int64_t mult;
        if (*s == '\0' && pairs == 0) { mult = 1000; }
        else if (strncmp(s, "ms", 2) == 0) { mult = 1; s += 2; }
        else if (*s == 's') { mult = 1000; s++; }
        else if (*s == 'm') { mult = 60000; s++; }
        else if (*s == 'h') { mult = 3600000; s++; }
        else if (*s == 'd') { mult = 86400000; s++; }
        else return -1;
        if (n > (int64_t)1e15 / mult)
            return -1;
        total += n * mult;
        if (total > (int64_t)1e15)
            return -1;
        pairs++;
    }
    *out = total;
    return 0;
}
