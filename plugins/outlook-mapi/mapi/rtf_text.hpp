// SPDX-License-Identifier: Apache-2.0
// The text of an RTF body ([MS-OXRTFCP] decompressed), for items whose store
// kept only PR_RTF_COMPRESSED: Outlook writes a contact's notes, a task's or
// a journal entry's body and a sticky note's text that way (the real
// Outlook.com .ost of pst-extractor 1.0.0 has each). Plain text only: the
// document's text runs, \par and \line as line breaks, \tab, \'hh in the
// document's code page (\ansicpg, Windows-1252 when absent), \uN with its
// \ucN fallback skipped; the destinations that are not text (font, colour
// and style tables, \*\ groups, pictures, fields' instructions, the
// document's info) are skipped. RTF that encapsulates HTML ([MS-OXRTFEX]
// \fromhtml1) gives the text outside its \htmlrtf runs. Never throws; a
// damaged body gives what could be read.
#pragma once

#include <string>
#include <string_view>

namespace accord::outlook::mapi {

std::string rtf_text(std::string_view rtf);

}  // namespace accord::outlook::mapi
