// embed.html?element=chart&concept=ID&statistic=ageSex&kind=groupedBar&height=320&title=… (or
// question=ID&statistic=answersByAgeSex&answer=TEXT, or domain=condition&statistic=topConcepts):
// the same element as the <cohortlens-chart> snippet, for guide platforms that accept only an
// <iframe>. The query names the element and its attributes; nothing else is read.

const ELEMENTS = { chart: 'cohortlens-chart', count: 'cohortlens-count', snapshot: 'cohortlens-snapshot' };
const ATTRIBUTES = ['server', 'concept', 'question', 'fitbit', 'domain', 'search', 'statistic', 'answer', 'kind', 'height', 'title'];

const query = new URLSearchParams(location.search);
const element = document.createElement(ELEMENTS[query.get('element') ?? 'chart'] ?? 'cohortlens-chart');
for (const name of ATTRIBUTES) {
  const value = query.get(name);
  if (value !== null && value !== '') element.setAttribute(name, value);
}
document.title = query.get('title') ? `${query.get('title')} · cohortlens` : document.title;
document.getElementById('frame').append(element);
