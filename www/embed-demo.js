// The sample resource guide's only script. The guide is a static file that works from any
// origin: `embed-demo.html?server=https://SERVER` points its embeds at that cohortlens server
// (by default the one the page came from), and embed.js is loaded from there, as a librarian's
// pasted snippet would load it.

const given = new URLSearchParams(location.search).get('server');
const server = new URL(given ? (given.endsWith('/') ? given : `${given}/`) : '.', location.href);

for (const element of document.querySelectorAll('cohortlens-chart, cohortlens-count, cohortlens-snapshot')) {
  element.setAttribute('server', server.href);
}
for (const frame of document.querySelectorAll('iframe[data-embed]')) {
  frame.src = new URL(`embed.html?${frame.dataset.embed}`, server).href;
}
document.getElementById('browser-link').href = new URL('browser.html', server).href;
await import(new URL('embed.js', server).href);
