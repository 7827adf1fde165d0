"""Pages. Thin: each view checks the form, calls a service and shows its
`ApplicationError` as a form error. By subject: `public` (front page, sign in
and up, phone), `dashboard`, `experts` (the expert's profile), `staff`
(documents and experts to review) and `account` (legal documents, data
export, closure, security)."""
