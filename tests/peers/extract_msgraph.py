#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Vendors what tests/peers/msgraph_fake.js checks from Microsoft Graph's own
v1.0 metadata (CSDL): the entity types the fake serves, their base types
flattened in, and every complex and enum type they reach, rewritten to JSON
Schema as vendor_schema.js loads it ("$ref": "#/schemas/NAME").

  Edm.String/Guid/DateTimeOffset/Date/TimeOfDay/Duration/Binary -> string,
  Edm.Boolean -> boolean, Edm.Int16/32/64 and Edm.Byte -> integer,
  Edm.Double/Single/Decimal -> number, Collection(X) -> array of X,
  an EnumType -> string with its members in "enum" (the fake matches members
  case-insensitively, as Graph does: the create-message reference sends
  "importance": "Low"), a property without Nullable="false" also takes null.
A navigation property that the fake accepts inline on create (deep insert:
singleValueExtendedProperties, multiValueExtendedProperties, checklistItems,
linkedResources, attachments) is an array of its target type ("attachments"
items are left open: the fake checks each against the type its
"@odata.type" names). Instance annotations ("@odata.type",
"name@odata.type", …) are allowed by a patternProperties entry. Every
schema keeps its Graph name in "x-type" for the fake's error messages
("The property 'x' does not exist on type 'microsoft.graph.message'").

Usage: extract_msgraph.py CSDL_FILE COMMIT
  CSDL_FILE: schemas/v1.0-Prod.csdl of microsoftgraph/msgraph-metadata at
  COMMIT; writes schemas/msgraph-v1.0.json beside this script.
"""
import json, os, sys
import xml.etree.ElementTree as ET

NS = {'edm': 'http://docs.oasis-open.org/odata/ns/edm'}
ENTITIES = ['message', 'mailFolder', 'contact', 'contactFolder', 'event', 'calendar', 'todoTaskList', 'todoTask',
            'checklistItem', 'linkedResource', 'outlookCategory', 'singleValueLegacyExtendedProperty',
            'multiValueLegacyExtendedProperty', 'fileAttachment', 'itemAttachment', 'referenceAttachment']
EXTRA_COMPLEX = ['attachmentItem']
INLINE_NAV = {'singleValueExtendedProperties', 'multiValueExtendedProperties', 'checklistItems', 'linkedResources',
              'attachments'}
PRIM = {'Edm.String': 'string', 'Edm.Guid': 'string', 'Edm.DateTimeOffset': 'string', 'Edm.Date': 'string',
        'Edm.TimeOfDay': 'string', 'Edm.Duration': 'string', 'Edm.Binary': 'string', 'Edm.Boolean': 'boolean',
        'Edm.Int16': 'integer', 'Edm.Int32': 'integer', 'Edm.Int64': 'integer', 'Edm.Byte': 'integer',
        'Edm.SByte': 'integer', 'Edm.Double': 'number', 'Edm.Single': 'number', 'Edm.Decimal': 'number',
        'Edm.Stream': 'string'}
ANNOTATIONS = {'^[A-Za-z0-9_.]*@odata\\.[A-Za-z.]+$': {}}


def main():
    csdl, commit = sys.argv[1], sys.argv[2]
    root = ET.parse(csdl).getroot()
    schema = root.find('.//edm:Schema[@Namespace="microsoft.graph"]', NS)
    kinds = {}
    for el in schema:
        tag = el.tag.split('}')[1]
        if tag in ('EntityType', 'ComplexType', 'EnumType'):
            kinds[el.get('Name')] = (tag, el)
    out, todo = {}, list(ENTITIES) + EXTRA_COMPLEX

    def short(t):
        return t.split('.', 1)[1] if t.startswith('graph.') or t.startswith('microsoft.graph.') else t

    def typ(t, nullable, nav=False):
        coll = t.startswith('Collection(')
        inner = t[len('Collection('):-1] if coll else t
        if inner in PRIM:
            one = {'type': PRIM[inner]}
            if inner == 'Edm.Double':
                one = {'type': ['number', 'string']}   # OData JSON: INF, -INF, NaN as strings
        else:
            name = short(inner)
            if name not in kinds:
                raise SystemExit('unknown type ' + inner)
            if nav and name == 'attachment':
                one = {'type': 'object'}
            else:
                if name not in out and name not in todo:
                    todo.append(name)
                one = {'$ref': '#/schemas/' + name}
        if coll:
            return {'type': ['array', 'null'], 'items': one} if nullable else {'type': 'array', 'items': one}
        if not nullable:
            return one
        if '$ref' in one:
            return {'anyOf': [one, {'type': 'null'}]}
        return {'type': [one['type'], 'null'] if isinstance(one['type'], str) else one['type'] + ['null']}

    def props(el):
        base = el.get('BaseType')
        p = props(kinds[short(base)][1]) if base else {}
        for x in el:
            tag = x.tag.split('}')[1]
            if tag == 'Property':
                p[x.get('Name')] = typ(x.get('Type'), x.get('Nullable') != 'false')
            elif tag == 'NavigationProperty' and x.get('Name') in INLINE_NAV:
                p[x.get('Name')] = typ(x.get('Type'), False, nav=True)
        return p

    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        kind, el = kinds[name]
        if kind == 'EnumType':
            out[name] = {'type': 'string', 'enum': [m.get('Name') for m in el], 'x-type': 'microsoft.graph.' + name}
            if el.get('IsFlags') == 'true':
                out[name]['x-flags'] = True
            continue
        out[name] = {'type': 'object', 'x-type': 'microsoft.graph.' + name, 'properties': props(el),
                     'patternProperties': ANNOTATIONS}
        if el.get('Abstract') == 'true':
            out[name]['x-abstract'] = True
    doc = {'source': 'microsoftgraph/msgraph-metadata schemas/v1.0-Prod.csdl at commit ' + commit,
           'generator': 'tests/peers/extract_msgraph.py', 'schemas': dict(sorted(out.items()))}
    dst = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'schemas', 'msgraph-v1.0.json')
    with open(dst, 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write('\n')
    print(dst, len(out), 'schemas')


main()
