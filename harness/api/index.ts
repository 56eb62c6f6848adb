export { createApp, type AppOptions } from './app.ts';
export { OPENAPI } from './openapi.ts';
