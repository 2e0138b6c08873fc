#!/usr/bin/env node
// The `oc` executable for `npm link` or a global install: runs cli/oc.ts through tsx.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../oc.ts', import.meta.url).href);
