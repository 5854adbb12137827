// SPDX-License-Identifier: Apache-2.0
// Request bodies checked against the vendors' own published schemas
// (schemas/<vendor>.json, vendored from their OpenAPI documents by
// schemas/extract.py; the file names the document, its version and commit).
//   const check = require('./vendor_schema')('highlevel', {closed: true});
//   check('NotesDTO', body) → [] or [{kind, field, message}]
// closed: a property the schema does not declare is refused (HighLevel's
// whitelist: "property X should not exist"). notRequired: names the schema
// lists as required that the vendor's documentation pages and examples omit
// (HubSpot's spec marks every field of some inputs required), each with why.
// replace: {Schema: {property: schema}}, where a reference page and its own
// examples contradict the spec (HubSpot's sorts), each with why.
'use strict';
const Ajv = require('ajv');

module.exports = function load(vendor, opts) {
  const o = opts || {};
  const doc = require('./schemas/' + vendor + '.json');
  const ajv = new Ajv({strict: false, allErrors: true, validateFormats: false});
  const schemas = JSON.parse(JSON.stringify(doc.schemas));
  for (const [name, fields] of Object.entries(o.notRequired || {}))
    if (schemas[name] && schemas[name].required) schemas[name].required = schemas[name].required.filter(f => !fields.includes(f));
  for (const [name, props] of Object.entries(o.replace || {}))
    for (const [k, v] of Object.entries(props)) schemas[name].properties[k] = v;
  if (o.closed)
    for (const s of Object.values(schemas))
      if (s.type === 'object' && s.properties && s.additionalProperties === undefined) s.additionalProperties = false;
  ajv.addSchema({$id: 'vendor', schemas});
  const compiled = {};
  return function check(name, body) {
    if (!doc.schemas[name]) throw new Error('no schema ' + name + ' in schemas/' + vendor + '.json');
    const v = compiled[name] || (compiled[name] = ajv.getSchema('vendor#/schemas/' + name));
    if (v(body)) return [];
    return v.errors.map(e => {
      const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      if (e.keyword === 'additionalProperties') {
        const f = (at ? at + '.' : '') + e.params.additionalProperty;
        return {kind: 'undeclared', field: f, message: 'property ' + f + ' should not exist'};
      }
      if (e.keyword === 'required') {
        const f = (at ? at + '.' : '') + e.params.missingProperty;
        return {kind: 'required', field: f, message: f + ' should not be empty'};
      }
      if (e.keyword === 'type') {
        const t = e.params.type === 'boolean' ? 'a boolean value' : e.params.type === 'object' ? 'an object' : 'a ' + e.params.type;
        return {kind: 'type', field: at, message: (at || 'body') + ' must be ' + t};
      }
      return {kind: e.keyword, field: at, message: (at || 'body') + ' ' + e.message};
    });
  };
};
