#!/bin/sh
# Runs "$@" with its stdout copied to the file $MCP_TRANSCRIPT, so a test can
# check afterwards that the stream held nothing but JSON-RPC, and writes the
# command's exit status to $MCP_TRANSCRIPT.status.
{ "$@"; echo "$?" > "$MCP_TRANSCRIPT.status"; } | tee "$MCP_TRANSCRIPT"
