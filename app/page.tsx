import { Editor } from "./editor/editor";

export default function Page() {
  return <Editor />;
}
