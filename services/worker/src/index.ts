// What the benchmarks run of the worker, in the same process as their reference.
export { startWorkers, type Closable } from './workers.js'
export { createMailer } from './mail/mailer.js'
export { renderAccessCodeMail, ccAddresses } from './mail/accessCodeMail.js'
export { leadEnrichmentProcessor } from './processors/leadEnrichment.js'
export { enrichLeads } from './domain/enrichment.js'
