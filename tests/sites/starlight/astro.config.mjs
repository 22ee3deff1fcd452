// The smallest Starlight site a writer would drop an export into: the export's folder is one
// sidebar group, generated from the folder (pages ordered by their `sidebar.order`).
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';

export default defineConfig({
  integrations: [
    starlight({
      title: 'Cardsmith export check',
      sidebar: [{ label: 'Auth service examples', autogenerate: { directory: 'examples' } }],
    }),
  ],
});
