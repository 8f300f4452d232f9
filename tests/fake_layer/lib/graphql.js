'use strict';
// GraphQL endpoint (/graphql) of the fake. Every document is parsed and
// validated against Layer's introspection schema, its variables coerced with
// getVariableValues; only the root fields below are implemented (those of
// vaultd's persisted documents), anything else answers 501.

const fs = require('node:fs');
const {
  buildClientSchema, parse, validate, getOperationAST, getVariableValues, execute, Kind,
} = require('graphql');
const { json } = require('./http_util');

function loadSchema(file) {
  const introspection = JSON.parse(fs.readFileSync(file, 'utf8'));
  return buildClientSchema(introspection.data || introspection);
}

function gqlError(type, code, message, data = null) {
  const titles = {
    BAD_REQUEST_ERROR: 'Bad request', NOT_FOUND_ERROR: 'Not found', PAYMENT_REQUIRED_ERROR: 'Payment required',
  };
  return { __typename: 'Error', type, code, title: titles[type] || type, message, data };
}

function errors(status, list) {
  return json(status, { errors: list.map((e) => ({ message: e.message, ...(e.locations ? { locations: e.locations } : {}), ...(e.extensions && Object.keys(e.extensions).length ? { extensions: e.extensions } : {}) })) });
}

// Resolvers of the implemented root fields. Each returns the union member
// (with __typename) that the real API would, built from the fake's state.
function rootFields(state) {
  const workspace = (id) => state.workspaces.get(id);
  const notFound = (id) => gqlError('NOT_FOUND_ERROR', 'WORKSPACE_NOT_FOUND', `workspace ${id} not found`);
  const text = (value) => ({ __typename: 'StringWrapper', value });
  return {
    query: {
      listTranslationLanguages: ({ input }) => (workspace(input.workspaceId)
        ? {
          __typename: 'TranslationLanguagesResult',
          languages: [['en', 'English'], ['fr', 'French'], ['de', 'German'], ['ja', 'Japanese'], ['ko', 'Korean']].map(([id, displayName]) => ({ id, displayName })),
        }
        : notFound(input.workspaceId)),
      getWorkspaceUsage: ({ input }) => {
        const ws = workspace(input.workspaceId);
        return ws ? { __typename: 'WorkspaceUsage', ...state.usageView(ws) } : notFound(input.workspaceId);
      },
      getFilesById: ({ input }) => input.fileIds.map((id) => {
        const f = state.files.get(id);
        if (!f) return gqlError('NOT_FOUND_ERROR', 'FILE_NOT_FOUND', `file ${id} not found`);
        return {
          __typename: 'File',
          id: f.id,
          name: f.name,
          status: f.status,
          contentType: f.content_type,
          url: f.bytes ? state.mediaUrl(f) : null,
          previewUrl: f.bytes && f.content_type.startsWith('image/') ? state.mediaUrl(f) : null,
          sizeBytes: f.bytes ? f.size : f.declared_size,
          width: f.width,
          height: f.height,
          isGenerated: f.generated,
          createdAt: f.created_at,
        };
      }),
    },
    mutation: {
      describeImage: ({ input }) => {
        if (!workspace(input.workspaceId)) return notFound(input.workspaceId);
        if (!input.imageUrl) return gqlError('BAD_REQUEST_ERROR', 'IMAGE_REQUIRED', 'imageUrl is required');
        const name = decodeURIComponent(input.imageUrl.split(/[?#]/)[0].split('/').pop() || 'image');
        return text(`A game asset image (${name}): a soft diagonal colour gradient, centred composition, no text.`);
      },
      transformPrompt: ({ input }) => {
        if (!workspace(input.workspaceId)) return notFound(input.workspaceId);
        if (!input.prompt) return gqlError('BAD_REQUEST_ERROR', 'PROMPT_REQUIRED', 'prompt is required');
        const parts = [input.prompt.trim()];
        if (input.guidance) parts.push(`following "${input.guidance.trim()}"`);
        if (input.images && input.images.length) parts.push(`matching ${input.images.length} reference image(s)`);
        parts.push('highly detailed, clean silhouette, game-ready asset, consistent lighting');
        return text(parts.join(', '));
      },
      generatePrompt: ({ input }) => (workspace(input.workspaceId) ? text(state.nextPrompt()) : notFound(input.workspaceId)),
    },
  };
}

function createGraphqlHandler(state, schemaFile) {
  const schema = loadSchema(schemaFile);
  const roots = rootFields(state);

  return function handleGraphql({ method, headers, body }) {
    if (method !== 'POST') return json(405, { errors: [{ message: 'use POST' }] }, { allow: 'POST' });
    const ct = String(headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (ct !== 'application/json') return errors(415, [{ message: 'Content-Type must be application/json' }]);
    let req;
    try {
      req = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return errors(400, [{ message: `invalid JSON body: ${e.message}` }]);
    }
    if (!req || typeof req !== 'object' || typeof req.query !== 'string') return errors(400, [{ message: 'body must be {"query": string, "variables"?: object, "operationName"?: string}' }]);
    const extra = Object.keys(req).filter((k) => !['query', 'variables', 'operationName', 'extensions'].includes(k));
    if (extra.length) return errors(400, [{ message: `unexpected body fields: ${extra.join(', ')}` }]);
    if (req.variables !== undefined && req.variables !== null && (typeof req.variables !== 'object' || Array.isArray(req.variables))) {
      return errors(400, [{ message: 'variables must be an object' }]);
    }

    let document;
    try {
      document = parse(req.query);
    } catch (e) {
      return errors(400, [e]);
    }
    const invalid = validate(schema, document);
    if (invalid.length) return errors(400, invalid);
    const op = getOperationAST(document, req.operationName || undefined);
    if (!op) return errors(400, [{ message: 'operation not found (name it with operationName)' }]);
    if (op.operation === 'subscription') return errors(400, [{ message: 'subscriptions are not served over HTTP POST' }]);
    const coerced = getVariableValues(schema, op.variableDefinitions || [], req.variables || {});
    if (coerced.errors) return errors(400, coerced.errors);

    const impl = roots[op.operation];
    for (const sel of op.selectionSet.selections) {
      if (sel.kind !== Kind.FIELD) return errors(501, [{ message: 'the fake supports only plain fields at the root' }]);
      const name = sel.name.value;
      if (name !== '__typename' && !impl[name]) {
        return errors(501, [{ message: `the fake does not implement ${op.operation} field "${name}"`, extensions: { code: 'FAKE_NOT_IMPLEMENTED' } }]);
      }
    }
    const result = execute({
      schema, document, rootValue: impl, variableValues: req.variables || {}, operationName: req.operationName || undefined,
    });
    return json(200, result);
  };
}

module.exports = { createGraphqlHandler, loadSchema };
