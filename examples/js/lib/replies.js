// A module the examples import: loaded as text from the script's folder, sandboxed.
export const sample = `
Sure! Here is what I found:
\`\`\`json
{"city": "Lyon", "population": "522250",}
\`\`\`
Let me know if you need more.
`;
