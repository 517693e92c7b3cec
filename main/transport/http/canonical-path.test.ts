// Unit table of the canonical-path rule: the one spelling the router and the auth hook agree on.
import { describe, expect, it } from 'vitest';
import { pathProblem } from './canonical-path';

describe('pathProblem', () => {
  it.each([
    '/',
    '/api/settings/get',
    '/api/events',
    '/api/settings/get?x=%61&y=..//',
    '/api/settings/get;x',
    '/assets/index-BQ1x_9a.js',
    '/a%3Ab%C3%A9%25',
    '/apis/x',
  ])('accepts %s', (url) => expect(pathProblem(url)).toBeNull());

  it.each([
    ['/%61pi/events', /encodes "a"/],
    ['/api/%2e%2e/x', /upper-case/],
    ['/api/%2E%2E/x', /encodes "\."/],
    ['/api%2Fsettings/get', /path separator/],
    ['/api%5Csettings/get', /path separator/],
    ['/api\\settings', /backslash/],
    ['//api/events', /doubled slash/],
    ['/api//events', /doubled slash/],
    ['/./api/events', /segment/],
    ['/x/../api/events', /segment/],
    ['/api/events/..', /segment/],
    ['/api/events%09', /control character/],
    ['/api/events%20', /space/],
    ['/api/events%', /malformed/],
    ['/api/events%4', /malformed/],
    ['/api/events%zz', /malformed/],
    ['/api/events#x', /must be percent-encoded/],
    ['/api/événements', /must be percent-encoded/],
    ['http://127.0.0.1:1/api/events', /starting with "\/"/],
    ['*', /starting with "\/"/],
    ['/API/settings/get', /lower case/],
    ['/Api', /lower case/],
    ['', /starting with "\/"/],
  ])('refuses %s', (url, reason) => expect(pathProblem(url)).toMatch(reason));
});
