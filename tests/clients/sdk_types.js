// Checks a value against the Public API SDK's own TypeScript model types (model/*.ts in the
// npm package): required fields present, null only where the type says `| null`, primitives,
// enums, arrays and nested models of the right kind.
const fs = require('fs');
const path = require('path');

const MODEL_DIR = path.join(
    path.dirname(require.resolve('@segment/public-api-sdk-typescript/package.json')),
    'model'
);

function loadModels() {
    const classes = {};
    const enums = {};
    for (const file of fs.readdirSync(MODEL_DIR)) {
        if (!file.endsWith('.ts')) continue;
        const src = fs.readFileSync(path.join(MODEL_DIR, file), 'utf8');
        const cls = /export class (\w+)[^{]*\{/.exec(src);
        if (cls) {
            const end = src.indexOf('static discriminator', cls.index);
            const body = src.slice(cls.index, end > 0 ? end : undefined);
            classes[cls[1]] = [...body.matchAll(/^\s+'(\w+)'(\?)?: (.+);$/gm)].map((m) => ({
                name: m[1],
                optional: Boolean(m[2]),
                type: m[3].trim(),
            }));
        }
        const ns = /export namespace (\w+) \{([\s\S]*)\n\}/.exec(src);
        if (ns) {
            for (const e of ns[2].matchAll(/export enum (\w+) \{([\s\S]*?)\}/g)) {
                enums[`${ns[1]}.${e[1]}`] = [...e[2].matchAll(/<any>'([^']*)'/g)].map((x) => x[1]);
            }
        }
    }
    return { classes, enums };
}

const MODELS = loadModels();

function check(value, type, where, problems) {
    let nullable = false;
    if (type.endsWith(' | null')) {
        nullable = true;
        type = type.slice(0, -' | null'.length).trim();
    }
    if (value === null) {
        if (!nullable && type !== 'any') problems.push(`${where}: null, but typed ${type}`);
        return;
    }
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
        if (!Array.isArray(value)) return problems.push(`${where}: not an array (${type})`);
        value.forEach((item, i) => check(item, array[1], `${where}[${i}]`, problems));
        return;
    }
    if (['string', 'number', 'boolean'].includes(type)) {
        if (typeof value !== type) problems.push(`${where}: ${JSON.stringify(value)} is not a ${type}`);
        return;
    }
    if (type.startsWith('{ [key: string]')) {
        if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${where}: not an object`);
        return;
    }
    if (MODELS.enums[type]) {
        if (!MODELS.enums[type].includes(value)) {
            problems.push(`${where}: ${JSON.stringify(value)} not in ${type}`);
        }
        return;
    }
    const fields = MODELS.classes[type];
    if (!fields) return; // any, Date, literal unions: nothing more to check
    if (typeof value !== 'object') return problems.push(`${where}: not a ${type} object`);
    for (const field of fields) {
        const item = value[field.name];
        if (item === undefined) {
            if (!field.optional) problems.push(`${where}.${field.name}: missing (required in ${type})`);
            continue;
        }
        check(item, field.type, `${where}.${field.name}`, problems);
    }
}

/** The problems of `value` as the SDK model `type` (an empty list when it conforms). */
function problemsOf(value, type) {
    if (!MODELS.classes[type]) throw new Error(`no SDK model named ${type}`);
    const problems = [];
    check(value, type, type, problems);
    return problems;
}

module.exports = { problemsOf };
