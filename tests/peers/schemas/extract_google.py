#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Vendors what tests/peers/google_fake.js checks from Google's own API
discovery documents: for each API, the methods the fake serves (HTTP method,
path, query parameters with their types, enums, required and repeated flags,
request and response schema) and the schemas they use, rewritten to JSON
Schema as vendor_schema.js loads it ("$ref": "#/schemas/NAME"; discovery's
"type": "any" is left untyped; a property's annotations.required, the methods
that must send it, becomes the schema's "requiredFor": {method: [names]}; a
property whose description begins "Required." goes into the schema's
"required", as the reference pages list it).

Usage: extract_google.py DISCOVERY_REPO_DIR
writes google-people.json, google-calendar.json, google-tasks.json,
google-gmail.json, google-drive.json beside this script. The directory is a
checkout of googleapis/discovery-artifact-manager (or a fork of it); each
document is taken from the last commit that changed it, named in the output.
"""
import json, os, subprocess, sys

REPO = 'https://github.com/max-ostapenko/discovery-artifact-manager'  # a fork of googleapis/discovery-artifact-manager (its snapshot fits here)
APIS = {
    'people': ('discoveries/people.v1.json', [
        'people.people.connections.list', 'people.people.get', 'people.people.getBatchGet', 'people.people.createContact',
        'people.people.updateContact', 'people.people.deleteContact', 'people.people.batchCreateContacts',
        'people.people.batchUpdateContacts', 'people.people.batchDeleteContacts', 'people.people.searchContacts',
        'people.contactGroups.list', 'people.contactGroups.get', 'people.contactGroups.create',
        'people.contactGroups.update', 'people.contactGroups.delete', 'people.contactGroups.members.modify']),
    'calendar': ('discoveries/calendar.v3.json', [
        'calendar.calendarList.list', 'calendar.calendarList.get', 'calendar.calendars.get', 'calendar.calendars.insert',
        'calendar.events.list', 'calendar.events.get', 'calendar.events.insert', 'calendar.events.import',
        'calendar.events.update', 'calendar.events.patch', 'calendar.events.delete', 'calendar.events.instances']),
    'tasks': ('discoveries/tasks.v1.json', [
        'tasks.tasklists.list', 'tasks.tasklists.get', 'tasks.tasklists.insert', 'tasks.tasklists.delete',
        'tasks.tasks.list', 'tasks.tasks.get', 'tasks.tasks.insert', 'tasks.tasks.update', 'tasks.tasks.patch',
        'tasks.tasks.delete', 'tasks.tasks.move', 'tasks.tasks.clear']),
    'gmail': ('discoveries/gmail.v1.json', [
        'gmail.users.getProfile', 'gmail.users.messages.list', 'gmail.users.messages.get', 'gmail.users.messages.import',
        'gmail.users.messages.insert', 'gmail.users.messages.modify', 'gmail.users.messages.batchModify',
        'gmail.users.messages.trash', 'gmail.users.messages.untrash', 'gmail.users.messages.delete',
        'gmail.users.history.list', 'gmail.users.labels.list', 'gmail.users.labels.get', 'gmail.users.labels.create',
        'gmail.users.labels.update', 'gmail.users.labels.patch', 'gmail.users.labels.delete']),
    'drive': ('discoveries/drive.v3.json', [
        'drive.files.list', 'drive.files.get', 'drive.files.create', 'drive.files.update', 'drive.files.delete',
        'drive.changes.getStartPageToken', 'drive.changes.list']),
}

def git(repo, *args):
    return subprocess.run(['git', '-C', repo, *args], check=True, capture_output=True, text=True).stdout

def methods_of(res, out):
    for r in res.get('resources', {}).values():
        for m in r.get('methods', {}).values():
            out[m['id']] = m
        methods_of(r, out)
    return out

def convert(s, name, required_for):
    if isinstance(s, list):
        return [convert(v, name, required_for) for v in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k == '$ref' and isinstance(v, str):
            out[k] = '#/schemas/' + v
        elif k in ('id', 'annotations'):
            continue
        elif k == 'type' and v == 'any':
            continue
        elif k == 'properties':
            out[k] = {}
            for p, ps in v.items():
                for m in ps.get('annotations', {}).get('required', []):
                    required_for.setdefault(m, []).append(p)
                out[k][p] = convert(ps, name, {})
        else:
            out[k] = convert(v, name, required_for)
    return out

def refs(s):
    found = set()
    if isinstance(s, dict):
        for k, v in s.items():
            if k == '$ref' and isinstance(v, str):
                found.add(v)
            else:
                found |= refs(v)
    elif isinstance(s, list):
        for v in s:
            found |= refs(v)
    return found

def main():
    repo = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    for api, (path, wanted) in APIS.items():
        commit = git(repo, 'log', '-1', '--format=%H', '--diff-filter=AM', '--all', '--', path).strip()
        doc = json.loads(git(repo, 'show', commit + ':' + path))
        all_methods = methods_of(doc, {})
        out = {'specification': {'repository': REPO, 'commit': commit, 'documents': [{
                   'path': path, 'title': doc['title'], 'version': doc['version'], 'revision': doc['revision'],
                   'rootUrl': doc['rootUrl'], 'servicePath': doc['servicePath'],
                   'documentationLink': doc.get('documentationLink'),
                   'url': REPO + '/blob/' + commit + '/' + path}]},
               'parameters': doc['parameters'], 'methods': {}, 'schemas': {}}
        todo = []
        for mid in wanted:
            m = all_methods[mid]
            keep = {k: m[k] for k in ('httpMethod', 'path', 'parameters', 'parameterOrder', 'request', 'response',
                                      'supportsMediaUpload', 'mediaUpload', 'supportsMediaDownload', 'description')
                    if k in m}
            out['methods'][mid] = keep
            for k in ('request', 'response'):
                if k in m:
                    todo.append(m[k]['$ref'])
        while todo:
            n = todo.pop()
            if n in out['schemas']:
                continue
            required_for = {}
            s = convert(doc['schemas'][n], n, required_for)
            req = sorted(p for p, ps in doc['schemas'][n].get('properties', {}).items()
                         if (ps.get('description') or '').startswith('Required.'))
            if req:
                s['required'] = req
            if required_for:
                s['requiredFor'] = {m: sorted(p) for m, p in sorted(required_for.items())}
            out['schemas'][n] = s
            todo.extend(refs(doc['schemas'][n]))
        with open(os.path.join(here, 'google-' + api + '.json'), 'w') as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write('\n')

main()
