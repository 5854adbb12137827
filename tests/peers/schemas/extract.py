#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Vendors the request-body schemas the CRM fakes check, from the vendors'
own OpenAPI documents, into one JSON file per vendor (name, version, URL and
commit of the specification at the top; each schema with the $refs it needs,
rewritten to "#/schemas/NAME").

Usage: extract.py highlevel  HIGHLEVEL_REPO_DIR  > highlevel.json
       extract.py hubspot    HUBSPOT_REPO_DIR    > hubspot.json
where the directories are checkouts of GoHighLevel/highlevel-api-docs and
HubSpot/HubSpot-public-api-spec-collection.
"""
import json, subprocess, sys

SOURCES = {
    'highlevel': {
        'repo': 'https://github.com/GoHighLevel/highlevel-api-docs',
        'files': {'apps/contacts.json': ['NotesDTO', 'UpdateNoteDTO', 'CreateTaskParams', 'UpdateTaskBody',
                                         'CreateContactDto', 'UpdateContactDto', 'UpsertContactDto'],
                  'apps/oauth.json': ['GetLocationAccessCodeBodyDto'],
                  'apps/conversations.json': ['GetMessagesByConversationResponseDto', 'GetEmailMessageResponseDto',
                                              'ProcessMessageBodyDto', 'SendMessageBodyDto', 'UploadFilesDto', 'UpdateMessageStatusDto',
                                              'CreateConversationDto'],
                  'apps/users.json': ['SearchUserSuccessfulResponseDto']},
    },
    'hubspot': {
        'repo': 'https://github.com/HubSpot/HubSpot-public-api-spec-collection',
        'files': {'PublicApiSpecs/CRM/Objects/Rollouts/424/v3/objects.json': [
            'SimplePublicObjectInputForCreate', 'SimplePublicObjectInput', 'BatchInputSimplePublicObjectBatchInputUpsert',
            'BatchInputSimplePublicObjectBatchInput', 'BatchInputSimplePublicObjectBatchInputForCreate',
            'BatchReadInputSimplePublicObjectId', 'BatchInputSimplePublicObjectId', 'PublicObjectSearchRequest'],
                  'PublicApiSpecs/CRM/Associations/Rollouts/130902/v4/associations.json': [
            'BatchInputPublicFetchAssociationsBatchRequest']},
    },
}

def git(repo, *args):
    return subprocess.run(['git', '-C', repo, *args], check=True, capture_output=True, text=True).stdout

def main():
    vendor, repo = sys.argv[1], sys.argv[2]
    src = SOURCES[vendor]
    commit = git(repo, 'rev-parse', 'HEAD').strip()
    out = {'specification': {'repository': src['repo'], 'commit': commit, 'documents': []}, 'schemas': {}}
    for path, names in src['files'].items():
        doc = json.loads(git(repo, 'show', 'HEAD:' + path))
        out['specification']['documents'].append({'path': path, 'title': doc['info']['title'],
                                                  'version': doc['info']['version'],
                                                  'url': src['repo'] + '/blob/' + commit + '/' + path})
        schemas = doc['components']['schemas']
        todo = list(names)
        while todo:
            n = todo.pop()
            if n in out['schemas']:
                continue
            s = json.dumps(schemas[n])
            for ref in set(part.split('"')[0] for part in s.split('"#/components/schemas/')[1:]):
                todo.append(ref)
            out['schemas'][n] = json.loads(s.replace('#/components/schemas/', '#/schemas/'))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')

main()
