// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: the tracepoints' definitions (see mbox_trace.h), in a file of their
 * own at the bottom of the layers, so that every file may trace.
 */
#define CREATE_TRACE_POINTS
#include "mbox_trace.h"
