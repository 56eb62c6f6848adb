// Built by `bun harness site build`, which writes the data file and sets these variables.
import { defineConfig } from 'astro/config';

export default defineConfig({
  outDir: process.env.MULTIOOD_SITE_OUT ?? './dist',
  // Served below a path (GitHub Pages of a project: /<repo>/): every link goes through href().
  base: process.env.MULTIOOD_SITE_BASE ?? '/',
  build: { format: 'directory', inlineStylesheets: 'always' },
  trailingSlash: 'ignore',
  devToolbar: { enabled: false },
  vite: { logLevel: 'warn' },
});
