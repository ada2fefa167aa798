/*
 * stages: the pipeline's stage functions. Each takes one input envelope and
 * a stage_ctx (stage.h) and does its work through it, so each is testable
 * without Kafka. The services' main.c files only wire these to the bus.
 */
#ifndef FF_STAGES_H
#define FF_STAGES_H

#include "envelope.h"
#include "stage.h"

/* Reader: one tick of an Order Flow -> one message per unsent order on the
 * records topic (built with items and discounts), leases taken, run counted.
 * Returns 0, or -1 when the run could not be read at all (already logged). */
int stage_read_orders(stage_ctx *c, const flow *f, const envelope *tick);

/* Transformer: Script Step then Mapping Step; emits to the mapped topic or
 * fails the record. */
void stage_transform(stage_ctx *c, envelope *in);

/* Writer: Query Check Order, Write Data to ERP, Check Response, Write Data
 * to Omnitron, Post Script; emits the record's final event. */
void stage_write_order(stage_ctx *c, envelope *in);

/* Runs a script step on e (body in, output out), tokens put in the
 * attributes for the run only. 0 ok, 1 the script removed the record,
 * -1 it failed (the record has been failed through stage_fail). */
int stage_run_script(stage_ctx *c, const flow *f, const flow_script *s, envelope *e, const char *stage_name,
                     strbuf *output);

/* Dispatches a record to the writer stage of its flow type. */
void stage_write(stage_ctx *c, envelope *in);

#endif
