import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes a new migration into harness/store/migrations after a schema
// change; the store applies pending migrations whenever it opens a database.
export default defineConfig({
  dialect: 'sqlite',
  schema: './harness/store/schema.ts',
  out: './harness/store/migrations',
});
