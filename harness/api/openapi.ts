/** The API's OpenAPI 3 description (hand-written; api.test.ts checks every route is described). */

const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const error = { type: 'object', properties: { error: { type: 'string' }, parameter: { type: 'string' } }, required: ['error'] };
const badRequest = json(error, 'A query parameter is invalid (`parameter` names it)');
const notFound = json(error, 'No such resource');
const q = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const modalities = q('modalities', 'a modality set, names separated by "," or "+" in any order, e.g. video,audio; each must be a modality of some benchmark (an unknown name is 400)');
const page = [
  q('limit', 'page size (1-1000, default 100)', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
  q('offset', 'rows to skip (default 0)', { type: 'integer', minimum: 0, default: 0 }),
];
const meanStd = { type: 'object', properties: { mean: { type: 'number' }, std: { type: ['number', 'null'], description: 'sample std (n-1); null when n < 2' } } };
const metrics = ['fpr95', 'auroc', 'auprIn', 'auprOut', 'idAcc'];
const paged = (item: object) => ({
  type: 'object',
  properties: { total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items: item } },
});
const resultItem = {
  type: 'object',
  properties: {
    cellId: { type: 'string' },
    benchmark: { type: 'string' },
    modalities: { type: 'string' },
    recipe: { type: 'string' },
    scorer: { type: 'string' },
    ood: { type: 'string' },
    seed: { type: 'integer' },
    split: { type: 'integer' },
    ...Object.fromEntries(metrics.map((m) => [m, { type: 'number' }])),
  },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'multiood results API',
    version: '1',
    description: 'Read-only results of the MultiOOD benchmark harness. Metrics are fractions in [0, 1]; OOD is the positive class.',
  },
  paths: {
    '/api/benchmarks': { get: { summary: 'Benchmarks the harness knows', responses: { 200: json({ type: 'array', items: { type: 'object' } }) } } },
    '/api/methods': {
      get: {
        summary: 'Post-hoc scorers (default settings, paper) and training recipes (resolved settings per benchmark)',
        responses: { 200: json({ type: 'object', properties: { scorers: { type: 'array' }, recipes: { type: 'array' } } }) },
      },
    },
    '/api/leaderboard/{benchmark}': {
      get: {
        summary: 'Mean and sample std over seeds and splits per (modalities, recipe, scorer, OOD set), with a Far-OOD "average" row',
        parameters: [
          { name: 'benchmark', in: 'path', required: true, schema: { type: 'string' } },
          q('recipe', 'recipe id'),
          modalities,
          q('scorer', 'scorer id'),
        ],
        responses: {
          200: json({
            type: 'object',
            properties: {
              benchmark: { type: 'string' },
              rows: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    benchmark: { type: 'string' },
                    modalities: { type: 'string' },
                    recipe: { type: 'string' },
                    scorer: { type: 'string' },
                    ood: { type: 'string' },
                    n: { type: 'integer' },
                    ...Object.fromEntries(metrics.map((m) => [m, meanStd])),
                  },
                },
              },
            },
          }),
          400: badRequest,
          404: notFound,
        },
      },
    },
    '/api/runs': { get: { summary: 'Harness invocations with provenance and their cell counts', responses: { 200: json({ type: 'array', items: { type: 'object' } }) } } },
    '/api/cells': {
      get: {
        summary: 'Grid cells with config, status, timings and the run that committed them',
        parameters: [q('benchmark', 'benchmark id'), q('recipe', 'recipe id'), modalities, q('status', 'done or failed', { type: 'string', enum: ['done', 'failed'] }), q('run', 'run id', { type: 'integer' }), ...page],
        responses: { 200: json(paged({ type: 'object' })), 400: badRequest },
      },
    },
    '/api/cells/{id}/diagnostics': {
      get: {
        summary: "A cell's l_ID, l_OOD, training curve and score histograms",
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json({ type: 'object' }), 404: notFound },
      },
    },
    '/api/results': {
      get: {
        summary: 'Per-cell results of finished cells',
        parameters: [
          q('benchmark', 'benchmark id'),
          q('recipe', 'recipe id'),
          modalities,
          q('scorer', 'scorer id'),
          q('ood', 'OOD set'),
          q('seed', 'seed', { type: 'integer' }),
          q('split', 'split', { type: 'integer' }),
          ...page,
        ],
        responses: { 200: json(paged(resultItem)), 400: badRequest },
      },
    },
    '/api/reported': {
      get: {
        summary: 'Numbers papers printed (reported, not reproduced by the harness), from the reported submissions in submissions/; metrics x100 as printed',
        parameters: [q('benchmark', 'benchmark id, e.g. hmdb51-near'), q('recipe', 'recipe id'), q('scorer', 'scorer id')],
        responses: {
          200: json({
            type: 'object',
            properties: {
              kind: { type: 'string', const: 'reported' },
              rows: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    kind: { type: 'string', const: 'reported' },
                    submission: { type: 'string' },
                    title: { type: 'string' },
                    paper: { type: 'string' },
                    source: { type: 'object', properties: { paper: { type: 'string' }, url: { type: 'string' }, venue: { type: 'string' } } },
                    table: { type: 'string' },
                    page: { type: 'integer' },
                    also_in: { type: 'array', items: { type: 'string' } },
                    benchmark: { type: 'string' },
                    modalities: { type: 'array', items: { type: 'string' } },
                    recipe: { type: 'string' },
                    scorer: { type: 'string' },
                    ood: { type: 'string', description: 'near, an OOD set name (UCF, Kinetics, HMDB, HAC, EPIC) or average' },
                    fpr95: { type: 'number', description: 'x100, as printed' },
                    auroc: { type: 'number', description: 'x100, as printed' },
                    id_acc: { type: 'number', description: 'x100, as printed (absent when the table gives none)' },
                  },
                },
              },
            },
          }),
          400: badRequest,
        },
      },
    },
    '/api/openapi.json': { get: { summary: 'This description', responses: { 200: json({ type: 'object' }) } } },
  },
} as const;
