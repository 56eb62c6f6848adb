export { apiReportedRow, createApp, fromPercent, OPENAPI_INFO, type AppOptions } from './app.ts';
