'use strict';
// The baseline of the frontend benchmark: a minimal MCP stdio server built
// on the official TypeScript SDK, with one tool that does no I/O.
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { z } = require('zod');

const server = new McpServer({ name: 'minimal-sdk-server', version: '1.0.0' });
server.tool('echo', { text: z.string() }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
server.connect(new StdioServerTransport());
