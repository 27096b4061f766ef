// Ready-made chart specs and statistics requests for the Chart and Table cells' "Preset" menus
// (docs/charts.md, docs/statistics.md).

/** Chart specs without their scope (the cell adds its cohort). */
export const CHART_PRESETS = [
  { label: 'Age × sex at birth (grouped bars)', value: { kind: 'groupedBar', data: { kind: 'ageBySex', bands: 'dataBrowser' } } },
  { label: 'Age × gender (grouped bars)', value: { kind: 'groupedBar', data: { kind: 'ageByGender', bands: 'dataBrowser' } } },
  { label: 'Age bands (bars)', value: { kind: 'bar', data: { kind: 'age', bands: 'dataBrowser' } } },
  { label: 'Sex at birth (bars)', value: { kind: 'bar', data: { kind: 'sexAtBirth' } } },
  { label: 'Race (bars)', value: { kind: 'bar', data: { kind: 'race' } } },
  { label: 'Ethnicity (bars)', value: { kind: 'bar', data: { kind: 'ethnicity' } } },
  { label: 'Top 10 conditions', value: { kind: 'bar', data: { kind: 'topConcepts', domain: 'CONDITION', limit: 10 } } },
  { label: 'Top 10 drugs', value: { kind: 'bar', data: { kind: 'topConcepts', domain: 'DRUG', limit: 10 } } },
  { label: 'Cohort preview (groups and criteria)', value: { kind: 'preview', data: { kind: 'preview' } } },
  { label: 'Fitbit: participants per month (line)', value: { kind: 'line', data: { kind: 'fitbitMonthly' } } },
  { label: 'Fitbit: mean daily steps (histogram)', value: { kind: 'histogram', data: { kind: 'fitbitSteps' } } },
  { label: 'HbA1c values (histogram)', value: { kind: 'histogram', data: { kind: 'measurementValues', conceptId: 3004410 } } },
];

/** Statistics requests. */
export const TABLE_PRESETS = [
  { label: 'Age × sex at birth', value: { kind: 'ageBySex', bands: 'dataBrowser' } },
  { label: 'Age × gender', value: { kind: 'ageByGender', bands: 'dataBrowser' } },
  { label: 'Age bands', value: { kind: 'age', bands: 'dataBrowser' } },
  { label: 'Sex at birth', value: { kind: 'sexAtBirth' } },
  { label: 'Gender', value: { kind: 'gender' } },
  { label: 'Race', value: { kind: 'race' } },
  { label: 'Ethnicity', value: { kind: 'ethnicity' } },
  { label: 'Top 20 conditions', value: { kind: 'topConcepts', domain: 'CONDITION', limit: 20 } },
  { label: 'Top 20 drugs', value: { kind: 'topConcepts', domain: 'DRUG', limit: 20 } },
  { label: 'Fitbit: mean daily steps', value: { kind: 'fitbitSteps' } },
  { label: 'Fitbit: participants per month', value: { kind: 'fitbitMonthly' } },
];
