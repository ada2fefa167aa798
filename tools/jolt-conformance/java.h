/*
 * java.h: jolt-conformance's differential mode against the Java Jolt
 * library (see java.c). All functions are no-ops until javadiff_init.
 */
#ifndef FF_JOLT_CONFORMANCE_JAVA_H
#define FF_JOLT_CONFORMANCE_JAVA_H

#include <jansson.h>

/* JVM options for the driver whose output is compared with ours: constant
 * identity hashes, so Java's HashSets of spec keys (Defaultr's) iterate in
 * insertion order (see java.c). bench-jolt uses them too. */
#define JOLT_JAVA_IDENTITY "-XX:+UnlockExperimentalVMOptions -XX:hashCode=2"

/* run: path of the driver script (../shared/bench/jolt-java/run), borrowed
 * for the whole run. 0, or -1 when no scratch directory could be made. */
int javadiff_init(const char *run);
int javadiff_active(void);
/* One case: op is an operation name (NULL: spec is a chain); spec, input,
 * ctx and ours are borrowed (ours is our output or NULL); our_status is 0
 * (output), 2 (our compile failed) or 3 (our apply failed). Runs Java and
 * prints a JAVA-DIFF block when the results differ. */
void javadiff_case(const char *folder, const char *label, const char *op, const json_t *spec,
                   const json_t *input, const json_t *ctx, const json_t *ours, int our_status);
/* Counts a case the driver cannot run. */
void javadiff_skip(void);
/* Prints "jolt vs java: S same, D differ, K skipped";
 * returns D. */
int javadiff_finish(void);

#endif
