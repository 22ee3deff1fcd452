// The smallest Docusaurus 3 site a writer would drop an export into: the classic preset's docs,
// served from the site's root, with the sidebar generated from the docs folder.
module.exports = {
  title: 'Cardsmith export check',
  url: 'http://localhost',
  baseUrl: '/',
  onBrokenLinks: 'throw',
  presets: [
    [
      'classic',
      {
        docs: { routeBasePath: '/', sidebarPath: require.resolve('./sidebars.js') },
        blog: false,
        pages: false,
      },
    ],
  ],
};
