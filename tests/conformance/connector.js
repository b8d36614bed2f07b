// A test connector for the real @app-connect/core framework: an in-memory CRM seeded from the same
// file as Switchboard's Rust sandbox (crates/switchboard-sandbox/seed/crm.json), so one set of
// conformance cases can run against both servers. Written for Switchboard's tests.
"use strict";
const path = require("node:path");
const { parsePhoneNumber } = require("awesome-phonenumber");

const seed = require(path.resolve(__dirname, "../../crates/switchboard-sandbox/seed/crm.json"));
const ACCEPTED_API_KEY = process.env.CONFORMANCE_API_KEY || "demo";

// The CRM: contacts and call logs, in memory for the life of the process.
const crm = {
  contacts: seed.contacts.map((c) => ({ ...c, phones: [...c.phones] })),
  logs: [],
  nextContact: 1001,
  nextLog: 5001,
};

function fillFormat(format, digits) {
  let i = 0;
  return format.replace(/[*#]/g, (m) => (i < digits.length ? digits[i++] : m));
}

function searchStrings(phoneNumber, overridingFormat) {
  const out = [phoneNumber];
  const parsed = parsePhoneNumber(phoneNumber);
  if (parsed.valid && overridingFormat) {
    for (const f of overridingFormat.split(",")) if (f) out.push(fillFormat(f, parsed.number.significant));
  }
  return out;
}

function toContactInfo(c) {
  return {
    id: c.numericId ? Number(c.id) : c.id,
    name: c.name,
    type: c.type,
    phone: c.phones[0],
    ...(c.company ? { company: c.company } : {}),
    ...(c.deals.length ? { additionalInfo: { deals: c.deals.map((d) => ({ const: d.const, title: d.title })) } } : {}),
  };
}

const message = (messageType, text, ttl) => ({ message: text, messageType, ttl });

// Numbers whose lookup answers with an odd "Create new contact..." row, to see what the client
// makes of it (SPEC §6): flagged but with another id, the id without the flag, and a row that
// names a default contact type.
const CREATE_ROW = { id: "createNewContact", name: "Create new contact...", additionalInfo: null, isNewContact: true };
const ODD_CREATE_ROWS = {
  "+12025550901": { id: "new-contact", name: "Create new contact...", isNewContact: true },
  "+12025550902": { id: "createNewContact", name: "Create new contact...", additionalInfo: null },
  "+12025550903": { ...CREATE_ROW, defaultContactType: "lead" },
};
// Numbers whose create row carries what the log form reads (SPEC §6): a Deal list and the key of
// the Billable checkbox, so the client's form starts with the first deal and Billable checked.
const FORM_CREATE_ROW = {
  ...CREATE_ROW,
  additionalInfo: { deals: [{ const: "D-NEW-1", title: "New deal one" }, { const: "D-NEW-2", title: "New deal two" }], billable: true },
};
const FORM_CREATE_NUMBERS = ["+12025550911", "+12025550912", "+12025550913"];
// A number the connector refuses (successful: false), as connectors do for numbers they cannot serve.
const REFUSED_NUMBER = "+12025550914";
// A number with several matches and no create row, each with a last-activity date, for the
// automatic variant's rules: by name Dorothy Vaughan, by latest activity Margaret Hamilton, and
// neither is the first row.
const SEVERAL_NUMBER = "+12025550915";
const SEVERAL = [
  ["104", "2023-01-01T00:00:00Z"],
  ["107", "2025-06-01T00:00:00Z"],
  ["105", "2024-01-01T00:00:00Z"],
];
// A number whose contact has a numeric id (some CRMs use numbers): the client keeps it a number.
const NUMERIC_ID_NUMBER = "+12025550916";
crm.contacts.push({ id: "4242", numericId: true, name: "Numeric Id Person", type: "contact", phones: [NUMERIC_ID_NUMBER], company: null, deals: [] });
// A number whose answer has no contact list at all, only a message.
const NO_LIST_NUMBER = "+12025550917";
// A number answered only after SLOW_MS, to meet the client's request timeout.
const SLOW_NUMBER = "+12025550919";
const SLOW_MS = 2000;
// A name whose create answer makes the classic mistake: the contact under `contact` instead of
// `contactInfo`. The CRM has the contact, but the framework answers with no contact.
const WRONG_KEY_NAME = "Wrong Key Contact";
// A call-log note that makes createCallLog answer with no returnMessage.
const SILENT_NOTE = "no message";
// What createContact and createCallLog received, in order, for the suite to check
// (GET /_test/received).
const received = [];
const receivedLogs = [];

module.exports = {
  getAuthType: () => "apiKey",

  getBasicAuth: ({ apiKey }) => Buffer.from(`${apiKey}:`).toString("base64"),

  async getUserInfo({ apiKey }) {
    if (apiKey !== ACCEPTED_API_KEY) {
      return {
        successful: false,
        returnMessage: message("warning", 'The API key was not accepted. Use the key the sandbox was started with ("demo" by default).', 5000),
      };
    }
    return {
      successful: true,
      platformUserInfo: { id: "sandbox-user-1", name: "Sandbox Demo User", timezoneName: "UTC", timezoneOffset: 0, platformAdditionalInfo: {} },
      returnMessage: message("success", "Connected to Sandbox CRM.", 3000),
    };
  },

  async findContact({ phoneNumber, overridingFormat, isExtension }) {
    if (String(isExtension) === "true") {
      return { successful: false, matchedContactInfo: [], returnMessage: message("warning", "Logging against internal extension numbers is not supported.", 3000) };
    }
    if (ODD_CREATE_ROWS[phoneNumber]) return { successful: true, matchedContactInfo: [ODD_CREATE_ROWS[phoneNumber]] };
    if (phoneNumber === REFUSED_NUMBER) {
      return { successful: false, matchedContactInfo: [], returnMessage: message("warning", "This number cannot be looked up.", 3000) };
    }
    if (phoneNumber === NO_LIST_NUMBER) return { successful: true, returnMessage: message("warning", "Lookups are paused.", 3000) };
    if (phoneNumber === SEVERAL_NUMBER) {
      const rows = SEVERAL.map(([id, date]) => ({ ...toContactInfo(crm.contacts.find((c) => c.id === id)), mostRecentActivityDate: date }));
      return { successful: true, matchedContactInfo: rows };
    }
    if (phoneNumber === SLOW_NUMBER) await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
    const wanted = searchStrings(phoneNumber, overridingFormat);
    const matched = crm.contacts.filter((c) => c.phones.some((p) => wanted.includes(p))).map(toContactInfo);
    matched.push(FORM_CREATE_NUMBERS.includes(phoneNumber) ? JSON.parse(JSON.stringify(FORM_CREATE_ROW)) : { ...CREATE_ROW });
    return { successful: true, matchedContactInfo: matched };
  },

  // The name search behind the client's "Search contacts" row (page.useContactSearch).
  async findContactWithName({ name }) {
    const wanted = String(name || "").trim().toLowerCase();
    const matched = wanted ? crm.contacts.filter((c) => c.name.toLowerCase().includes(wanted)).map(toContactInfo) : [];
    return { successful: true, matchedContactInfo: matched };
  },

  async createContact({ phoneNumber, newContactName, newContactType, additionalSubmission }) {
    received.push({
      phoneNumber,
      newContactName,
      newContactType: newContactType === undefined ? "<absent>" : newContactType,
      additionalSubmission: additionalSubmission === undefined ? "<absent>" : additionalSubmission,
    });
    const name = (newContactName || "").trim();
    if (!name) return { contactInfo: null, returnMessage: message("warning", "A contact name is required.", 5000) };
    if (seed.reservedNames.includes(name.toLowerCase())) {
      return { contactInfo: null, returnMessage: message("warning", `"${name}" is a reserved name in this CRM; choose another.`, 5000) };
    }
    const type = newContactType || "contact";
    if (!seed.contactTypes.includes(type)) {
      return { contactInfo: null, returnMessage: message("warning", `Unknown contact type "${type}"; this CRM knows ${seed.contactTypes.join(", ")}.`, 5000) };
    }
    const contact = { id: String(crm.nextContact++), name, type, phones: [phoneNumber], company: null, deals: [] };
    crm.contacts.push(contact);
    if (name === WRONG_KEY_NAME) {
      return { contact: { id: contact.id, name: contact.name, type: contact.type }, returnMessage: message("success", `Contact "${name}" created.`, 2000) };
    }
    return {
      contactInfo: { id: contact.id, name: contact.name, type: contact.type },
      returnMessage: message("success", `Contact "${name}" created.`, 2000),
    };
  },

  async createCallLog({ contactInfo, callLog, note, additionalSubmission }) {
    receivedLogs.push({
      contactInfo: contactInfo === undefined ? "<absent>" : contactInfo,
      contactIdType: typeof contactInfo?.id,
      subject: callLog.customSubject === undefined ? "<absent>" : callLog.customSubject,
      additionalSubmission: additionalSubmission === undefined ? "<absent>" : additionalSubmission,
    });
    const silent = note === SILENT_NOTE;
    if (!crm.contacts.some((c) => c.id === String(contactInfo.id))) {
      if (silent) return { logId: null };
      return { logId: null, returnMessage: message("warning", `Contact ${contactInfo.id} does not exist; nothing was logged.`, 5000) };
    }
    const id = `log-${crm.nextLog++}`;
    crm.logs.push({ id, sessionId: callLog.sessionId, contactId: String(contactInfo.id), subject: callLog.customSubject, note, additionalSubmission });
    if (silent) return { logId: id };
    return { logId: id, returnMessage: message("success", "Call logged", 2000) };
  },

  async getCallLog({ callLogId }) {
    const log = crm.logs.find((l) => l.id === callLogId);
    return { callLogInfo: log ? { subject: log.subject, note: log.note } : null, returnMessage: null };
  },

  async updateCallLog({ existingCallLog, note, subject }) {
    const log = crm.logs.find((l) => l.id === existingCallLog.thirdPartyLogId);
    if (log) Object.assign(log, { note: note ?? log.note, subject: subject ?? log.subject });
    return { updatedNote: note, returnMessage: message("success", "Call log updated", 2000) };
  },

  async unAuthorize({ user }) {
    await user.destroy();
    return { returnMessage: message("success", "Logged out of Sandbox CRM.", 3000) };
  },

  // Test hook: how many contacts the CRM holds (findContact must never make it grow).
  contactCount: () => crm.contacts.length,
  // Test hook: what createContact received (GET /_test/received).
  receivedCreates: () => received,
  receivedLogs: () => receivedLogs,
};

// The same CRM behind OAuth, for the callback path: tokens come from the fake authorization server.
const oauthState = { info: null, validToken: () => false };
module.exports.oauth = {
  ...module.exports,
  getAuthType: () => "oauth",
  getBasicAuth: undefined,
  configure(info, validToken) {
    oauthState.info = info;
    oauthState.validToken = validToken;
  },
  getOauthInfo: () => oauthState.info,
  async getUserInfo({ authHeader }) {
    const token = (authHeader || "").replace(/^Bearer /, "");
    if (!oauthState.validToken(token)) {
      return { successful: false, returnMessage: message("warning", "The access token was not accepted.", 5000) };
    }
    return {
      successful: true,
      platformUserInfo: { id: "oauth-user-1", name: "OAuth Demo User", timezoneName: "UTC", timezoneOffset: 0, platformAdditionalInfo: {} },
      returnMessage: message("success", "Connected to Sandbox CRM over OAuth.", 3000),
    };
  },
};
